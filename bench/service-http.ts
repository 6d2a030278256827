import { request } from 'node:http';

/**
 * Resolves once `url` answers 2xx (sent with `headers`) `inARow` times running, each on a new
 * connection; throws after `timeoutMs`. A new connection per try is what reaches every worker
 * process (the cluster hands connections out in turn): a change that each worker learns on its
 * own, like a role granted in plain SQL and seen by each worker's poll, is in force only once
 * all of them answer.
 */
export async function waitFor(
  url: string,
  timeoutMs = 120_000,
  headers: Record<string, string> = {},
  inARow = 1,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let successes = 0;
  while (Date.now() < deadline) {
    if (await answersOk(url, headers)) {
      if (++successes >= inARow) return;
      continue;
    }
    successes = 0;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not come up`);
}

function answersOk(url: string, headers: Record<string, string>): Promise<boolean> {
  return new Promise((resolve) => {
    const sent = request(url, { headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve((response.statusCode ?? 0) < 300));
    });
    sent.on('error', () => resolve(false)); // not up yet
    sent.end();
  });
}

/** POSTs JSON and returns the JSON answer; throws on anything but 2xx. */
export async function post(
  base: string,
  path: string,
  body: object,
): Promise<Record<string, string>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, string>;
}
