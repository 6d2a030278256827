import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bodyStillArriving, discardRest } from './lingering-close.js';

const LIMITS = { maxBytes: 1000, maxMs: 5000 };

describe('discardRest', () => {
  afterEach(() => vi.useRealTimers());

  it('reads a body to its end and discards it', async () => {
    const body = new PassThrough();
    const drained = discardRest(body, LIMITS);
    body.write(Buffer.alloc(600));
    body.end(Buffer.alloc(400));
    await expect(drained).resolves.toBe('ended');
  });

  it('stops when the client goes away mid-body', async () => {
    const body = new PassThrough();
    const drained = discardRest(body, LIMITS);
    body.write(Buffer.alloc(10));
    body.destroy(new Error('aborted'));
    await expect(drained).resolves.toBe('closed');
  });

  it('stops reading once more than maxBytes came, however much is still coming', async () => {
    const body = new PassThrough();
    const drained = discardRest(body, LIMITS);
    body.write(Buffer.alloc(1000));
    body.write(Buffer.alloc(1));
    await expect(drained).resolves.toBe('byte-limit');
    expect(body.listenerCount('data')).toBe(0);
  });

  it('stops waiting after maxMs of a body that trickles or stalls', async () => {
    vi.useFakeTimers();
    const body = new PassThrough();
    const drained = discardRest(body, LIMITS);
    body.write(Buffer.alloc(10));
    await vi.advanceTimersByTimeAsync(LIMITS.maxMs);
    await expect(drained).resolves.toBe('time-limit');
    expect(body.listenerCount('data')).toBe(0);
  });
});

describe('bodyStillArriving', () => {
  const request = (complete: boolean, headers: Record<string, string>) =>
    ({ complete, headers }) as unknown as IncomingMessage;

  it('is true for a declared or chunked body not yet all read', () => {
    expect(bodyStillArriving(request(false, { 'content-length': '2000000' }))).toBe(true);
    expect(bodyStillArriving(request(false, { 'transfer-encoding': 'chunked' }))).toBe(true);
  });

  it('is false once the body is read, and for a request without one', () => {
    expect(bodyStillArriving(request(true, { 'content-length': '20' }))).toBe(false);
    expect(bodyStillArriving(request(false, {}))).toBe(false);
    expect(bodyStillArriving(request(false, { 'content-length': '0' }))).toBe(false);
  });
});
