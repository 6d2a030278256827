import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { post } from './service-http.js';

/** What the webhook row reports: events a second from the first change to the last arrival. */
export interface WebhookThroughput {
  events: number;
  eventsPerSecond: number;
  /** The changes' own rate: the ceiling the delivery rate is measured under. */
  changesPerSecond: number;
  /** From a change's answer to its event's arrival, in ms. */
  p50: number;
  p99: number;
  failedChanges: number;
  /** Changes answered but whose event had not arrived when the wait ended. */
  missing: number;
}

/**
 * The administrator the scenario needs, made as an operator would make the first one:
 * BOOTSTRAP_ADMIN_EMAIL, signed up, its verification link followed (read from the SMTP sink).
 * Works on the embedded database too, which no one but the service can write to.
 */
export async function bootstrapAdministrator(
  base: string,
  email: string,
  mails: string[],
): Promise<string> {
  const account = {
    email,
    username: email.split('@')[0]!.replace(/\W/g, '_'),
    password: `bench administrator ${randomBytes(6).toString('hex')}`,
  };
  await post(base, '/auth/signup', account);
  const deadline = Date.now() + 30_000;
  let token: string | undefined;
  while (!token && Date.now() < deadline) {
    // Quoted-printable: soft line breaks and `=` written `=3D`.
    const text = mails.join('\n').replace(/=\r?\n/g, '');
    token = /verify-email\?token=(?:3D)?([A-Za-z0-9_-]{43})/.exec(text)?.[1];
    if (!token) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!token) throw new Error('no verification mail for the bench administrator');
  await post(base, '/auth/verify-email', { token });
  const login = await post(base, '/auth/login', {
    username_or_email: account.username,
    password: account.password,
  });
  return login.access_token!;
}

/** A receiver that answers 204 at once and notes when each event (by webhook-id) arrived. */
async function startReceiver() {
  const arrivals = new Map<string, { at: number; username: string }>();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      const { data } = JSON.parse(body) as { data: { changes?: { username?: string } } };
      if (!arrivals.has(id))
        arrivals.set(id, { at: Date.now(), username: data.changes?.username ?? '' });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bench`;
  return { url, arrivals, close: () => new Promise((resolve) => server.close(resolve)) };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/**
 * `events` user.updated events, from administrator renames round-robin over `userIds` (so the
 * per-user order rule holds them back as it would), as fast as `connections` requests allow,
 * delivered to a receiver on this machine; timed until the last one arrived.
 */
export async function measureWebhookThroughput(
  base: string,
  adminToken: string,
  userIds: string[],
  events: number,
  connections: number,
  tag: string,
): Promise<WebhookThroughput> {
  const receiver = await startReceiver();
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` };
  let endpointId: string | undefined;
  try {
    const created = await fetch(`${base}/admin/webhooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: receiver.url, events: ['user.updated'] }),
    });
    if (created.status === 403) {
      throw new Error(
        "webhook endpoint: 403 (on a kept EMBEDDED_DATABASE_DIR an earlier run holds `admin`, so this run's account was not promoted)",
      );
    }
    if (created.status !== 201) throw new Error(`webhook endpoint: ${created.status}`);
    endpointId = ((await created.json()) as { id: string }).id;
    const answeredAt = new Map<string, number>();
    let next = 0;
    let failedChanges = 0;
    const start = Date.now();
    const change = async () => {
      for (let n = next++; n < events; n = next++) {
        const username = `wh_${tag}_${n}`;
        const response = await fetch(`${base}/admin/users/${userIds[n % userIds.length]!}`, {
          method: 'PATCH',
          headers,
          body: JSON.stringify({ username }),
        });
        await response.arrayBuffer();
        if (response.ok) answeredAt.set(username, Date.now());
        else failedChanges += 1;
      }
    };
    await Promise.all(Array.from({ length: connections }, change));
    const changesDone = Date.now();
    const expected = events - failedChanges;
    const deadline = Date.now() + 300_000;
    while (receiver.arrivals.size < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const arrivals = [...receiver.arrivals.values()];
    if (arrivals.length === 0) throw new Error(`none of ${expected} events arrived`);
    const last = Math.max(...arrivals.map(({ at }) => at));
    const latencies = arrivals
      .filter(({ username }) => answeredAt.has(username))
      .map(({ at, username }) => at - answeredAt.get(username)!)
      .sort((a, b) => a - b);
    return {
      events: arrivals.length,
      eventsPerSecond: arrivals.length / ((last - start) / 1000),
      changesPerSecond: (events - failedChanges) / ((changesDone - start) / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      failedChanges,
      missing: Math.max(0, expected - arrivals.length),
    };
  } finally {
    // The admin API deletes no endpoint: disabled, it sends nothing more to this dead receiver
    // on a kept database, and its leftovers are pruned after the retention.
    if (endpointId) {
      await fetch(`${base}/admin/webhooks/${endpointId}`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ enabled: false }),
      }).catch(() => undefined);
    }
    await receiver.close();
  }
}
