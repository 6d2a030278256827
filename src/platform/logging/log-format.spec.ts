import { describe, expect, it } from 'vitest';
import { chooseLogFormat } from './log-format.js';

describe('chooseLogFormat', () => {
  it.each([
    ['a terminal in development', false, true, 'pretty'],
    ['a pipe in development', false, false, 'json'],
    ['a terminal in production', true, true, 'json'],
    ['a pipe in production', true, false, 'json'],
  ] as const)('auto writes %s as %s', (_where, production, terminal, expected) => {
    expect(chooseLogFormat('auto', production, terminal)).toBe(expected);
  });

  it('keeps an explicit choice wherever stdout goes', () => {
    expect(chooseLogFormat('pretty', true, false)).toBe('pretty');
    expect(chooseLogFormat('json', false, true)).toBe('json');
  });
});
