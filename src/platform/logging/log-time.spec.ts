import { describe, expect, it } from 'vitest';
import { isoTimeField } from './log-time.js';

describe('isoTimeField', () => {
  it("writes what pino's isoTime writes, across seconds, minutes and years", () => {
    const times = [
      Date.UTC(2026, 10, 25, 4, 12, 36, 0),
      Date.UTC(2026, 10, 25, 4, 12, 36, 7),
      Date.UTC(2026, 10, 25, 4, 12, 36, 42),
      Date.UTC(2026, 10, 25, 4, 12, 36, 999),
      Date.UTC(2026, 10, 25, 4, 12, 37, 1),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1, 0, 0, 0, 0),
      Date.UTC(2026, 10, 25, 4, 12, 36, 500),
    ];
    for (const time of times) {
      expect(isoTimeField(time)).toBe(`,"time":"${new Date(time).toISOString()}"`);
    }
  });

  it('reads the clock when given no time', () => {
    const before = Date.now();
    const written = Date.parse(JSON.parse(`{${isoTimeField().slice(1)}}`).time as string);
    expect(written).toBeGreaterThanOrEqual(before);
    expect(written).toBeLessThanOrEqual(Date.now());
  });
});
