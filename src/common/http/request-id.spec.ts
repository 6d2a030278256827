import { describe, expect, it } from 'vitest';
import { clientRequestIdOf } from './request-id.js';

const withId = (value: string | string[]) => clientRequestIdOf({ 'x-request-id': value });

describe('clientRequestIdOf', () => {
  it('keeps an id of token characters up to 128 long', () => {
    for (const id of [
      'client-req-42',
      'c0a8e4b2-1f0e-4c7a-9d2b-6a1e2f3b4c5d',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'edge:1.2_3/abc+def=',
      'x'.repeat(128),
    ]) {
      expect(withId(id), id).toBe(id);
    }
  });

  it('drops, whole, an id that is too long, empty, repeated or has other characters', () => {
    for (const id of [
      'x'.repeat(129),
      '',
      'bad id',
      'tab\there',
      'quote"d',
      'back\\slash',
      'line\r\nbreak',
      'é-accent',
      '\u2028',
      '<script>',
    ]) {
      expect(withId(id), JSON.stringify(id)).toBeUndefined();
    }
    expect(withId(['a', 'b'])).toBeUndefined();
    expect(clientRequestIdOf({})).toBeUndefined();
  });
});
