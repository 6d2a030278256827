/**
 * pino's documented switch for a destination (`Symbol.for('pino.metadata')`): a destination
 * that carries it set to true gets `lastLevel` set before each write.
 */
export const PINO_METADATA: unique symbol = Symbol.for('pino.metadata');
