import { describe, expect, it } from 'vitest';
import { parseTimestamp } from './is-timestamp.decorator.js';

describe('parseTimestamp', () => {
  it.each([
    ['2030-01-01T10:00:00Z', '2030-01-01T10:00:00.000Z'],
    ['2030-01-01t10:00:00z', '2030-01-01T10:00:00.000Z'],
    ['2030-01-01 10:00:00.123456789+02:00', '2030-01-01T08:00:00.123Z'],
    ['2030-01-01', '2030-01-01T00:00:00.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, instant) => {
    expect(parseTimestamp(text)?.toISOString()).toBe(instant);
  });

  it.each([
    '2030-W01-1',
    '2030-W01',
    '2030-123',
    '20300101',
    '2030-01-01T10',
    '2030-01-01T10:00',
    '2030-01-01T10:00:00',
    '2030-01',
    '2030-02-30',
    '2029-02-29T00:00:00Z',
    '2030-13-01',
    '2030-01-01T24:00:00Z',
    '2030-01-01T10:00:00+24:00',
    'yesterday',
    '',
  ])('refuses %s', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });
});
