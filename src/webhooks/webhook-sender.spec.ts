import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { sendWebhook, signatureHeader } from './webhook-sender.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

describe('sendWebhook', () => {
  let server: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits += 1;
      request.resume();
      if (request.url === '/slow') return void setTimeout(() => response.end(), 2000);
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const message = { id: 'evt_1', body: '{"type":"webhook.test"}', secrets: [SECRET] };

  it('refuses a literal loopback address when private networks are not allowed', async () => {
    const before = hits;
    const outcome = await sendWebhook(`http://127.0.0.1:${port}/`, message, {
      timeoutMs: 1000,
      allowPrivateNetworks: false,
    });
    expect(outcome).toMatchObject({ delivered: false, status: null });
    expect(hits).toBe(before);
  });

  it('refuses a name that resolves to loopback, on the address it would connect to', async () => {
    const before = hits;
    const outcome = await sendWebhook(`http://localhost:${port}/`, message, {
      timeoutMs: 1000,
      allowPrivateNetworks: false,
    });
    expect(outcome).toMatchObject({ delivered: false, status: null });
    expect(outcome.delivered || outcome.error).toMatch(/private, loopback or link-local/);
    expect(hits).toBe(before);
  });

  it('refuses the cloud metadata address without connecting', async () => {
    const outcome = await sendWebhook('http://169.254.169.254/latest/meta-data/', message, {
      timeoutMs: 1000,
      allowPrivateNetworks: false,
    });
    expect(outcome).toMatchObject({ delivered: false, status: null });
  });

  it('delivers to loopback when allowed', async () => {
    const outcome = await sendWebhook(`http://localhost:${port}/`, message, {
      timeoutMs: 1000,
      allowPrivateNetworks: true,
    });
    expect(outcome).toEqual({ delivered: true, status: 204 });
  });

  it('gives up on a receiver slower than the timeout', async () => {
    const outcome = await sendWebhook(`http://127.0.0.1:${port}/slow`, message, {
      timeoutMs: 200,
      allowPrivateNetworks: true,
    });
    expect(outcome).toEqual({ delivered: false, status: null, error: 'timed out' });
  });
});

describe('signatureHeader', () => {
  it('signs with every secret given, space-separated, each verifiable on its own', () => {
    const timestamp = new Date(Math.floor(Date.now() / 1000) * 1000);
    const message = { id: 'evt_2', body: '{"a":1}', secrets: [SECRET, OLD_SECRET] };
    const header = signatureHeader(message, timestamp);
    expect(header.split(' ')).toHaveLength(2);
    const headers = {
      'webhook-id': message.id,
      'webhook-timestamp': String(timestamp.getTime() / 1000),
      'webhook-signature': header,
    };
    for (const secret of [SECRET, OLD_SECRET]) {
      expect(new Webhook(secret).verify(message.body, headers)).toEqual({ a: 1 });
    }
    const other = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    expect(() => new Webhook(other).verify(message.body, headers)).toThrow();
  });
});

describe('sendWebhook never throws and never reaches link-local', () => {
  const message = { id: 'evt_1', body: '{}', secrets: [SECRET] };

  it('turns a URL the WHATWG parser refuses into a failed attempt, never a throw', async () => {
    const outcome = await sendWebhook('http://[fe80::1%eth0]/hook', message, {
      timeoutMs: 1000,
      allowPrivateNetworks: true,
    });
    expect(outcome).toMatchObject({ delivered: false, status: null });
  });

  it('refuses link-local even when private networks are allowed', async () => {
    const outcome = await sendWebhook('http://169.254.169.254/latest/meta-data/', message, {
      timeoutMs: 1000,
      allowPrivateNetworks: true,
    });
    expect(outcome).toEqual({
      delivered: false,
      status: null,
      error:
        'destination 169.254.169.254 is or resolves to a private, loopback or link-local address',
    });
  });
});
