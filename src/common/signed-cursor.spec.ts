import { describe, expect, it } from 'vitest';
import { InvalidCursorError, SignedCursorCodec } from './signed-cursor.js';

interface Position {
  id: string;
}
const isPosition = (value: unknown): value is Position =>
  typeof value === 'object' && value !== null && typeof (value as Position).id === 'string';

const codec = new SignedCursorCodec('secret', 'test', isPosition);

describe('SignedCursorCodec', () => {
  it('gives back the payload it signed', () => {
    expect(codec.decode(codec.encode({ id: '42' }))).toEqual({ id: '42' });
  });

  it('refuses a cursor whose payload was edited', () => {
    const [, signature] = codec.encode({ id: '42' }).split('.');
    const forged = `${Buffer.from('{"id":"1"}').toString('base64url')}.${signature}`;
    expect(() => codec.decode(forged)).toThrow(InvalidCursorError);
  });

  it('refuses a cursor signed for another listing or with another secret', () => {
    const other = new SignedCursorCodec('secret', 'other', isPosition);
    const stranger = new SignedCursorCodec('another secret', 'test', isPosition);
    expect(() => codec.decode(other.encode({ id: '42' }))).toThrow(InvalidCursorError);
    expect(() => codec.decode(stranger.encode({ id: '42' }))).toThrow(InvalidCursorError);
  });

  it.each(['', '.', 'abc', 'a.b.c', 'x'.repeat(2000), '%%%.%%%'])('refuses %j', (cursor) => {
    expect(() => codec.decode(cursor)).toThrow(InvalidCursorError);
  });

  it('refuses a signed payload of the wrong shape', () => {
    const loose = new SignedCursorCodec('secret', 'test', (_value): _value is unknown => true);
    expect(() => codec.decode(loose.encode({ other: 1 }))).toThrow(InvalidCursorError);
  });
});
