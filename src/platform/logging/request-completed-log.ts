import type { Logger as PinoLogger } from 'pino';

const MESSAGE = 'request completed';

/** What the line says of an answered request: no headers, no body, no query string. */
export interface RequestCompleted {
  request_id: string;
  /** The caller's own X-Request-Id, when it sent a usable one. */
  client_request_id?: string | undefined;
  method: string;
  path: string;
  status: number;
  ms: number;
}

/**
 * The line every answered request leaves; an answer of 500 or more logs at warn. Through
 * pino's public API, redaction included: the hand-built line it replaced read pino's private
 * symbols, and on Node 24 saved too little to pay for that (docs/decisions/0021).
 */
export function logRequestCompleted(logger: PinoLogger, fields: RequestCompleted): void {
  if (fields.status >= 500) logger.warn(fields, MESSAGE);
  else logger.info(fields, MESSAGE);
}
