/**
 * `npm run bench`: load scenarios against the built service, each quoted as a ratio to a bare
 * node:http server measured in the same run on the same machine. Not a test; never run in CI.
 *
 *   DATABASE_URL / REDIS_URL   use a real PostgreSQL / Redis (default: the embedded database)
 *   BENCH_DURATION=10          seconds per scenario (and per round of the rounds below)
 *   BENCH_ROUNDS=3             rounds of ceiling, floor and /auth/me, taken in turn, and of
 *                              raw bcrypt and logins, taken in turn
 *   BENCH_CONNECTIONS=50       connections for the cheap scenarios
 *   BENCH_USERS=50             users prepared for /auth/me
 *   BENCH_LISTING_USERS=100000 accounts seeded for GET /admin/users (with DATABASE_URL only)
 *   BENCH_WEBHOOK_EVENTS=2000  user.updated events delivered to a local receiver, last
 *   BCRYPT_COST=12             passed to the service and used for the raw bcrypt rate
 *   RATE_LIMIT_DEFAULT         the per-address limit every route counts. Default here:
 *                              9999999/1m, counted as in production but too high to refuse;
 *                              `off` leaves the counting out. Every other limit is off.
 *   WEB_CONCURRENCY            passed to the service. Default here: `auto`, one worker per core,
 *                              as the service would run on this machine; `1` on the embedded
 *                              database, which serves one process. 1 measures a single process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Options, type Result } from 'autocannon';
import { RATE_LIMIT_VARIABLES } from '../src/config/configuration.js';
import { listingRequests, seedListingUsers } from './admin-user-listing.js';
import { measureBcryptRate } from './bcrypt-rate.js';
import { post, waitFor } from './service-http.js';
import { startSmtpSink } from './smtp-sink.js';
import { bootstrapAdministrator, measureWebhookThroughput } from './webhook-throughput.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const USERS = Number(process.env.BENCH_USERS ?? 50);
const LISTING_USERS = Number(process.env.BENCH_LISTING_USERS ?? 100_000);
const WEBHOOK_EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 2000);
const BCRYPT_COST = Number(process.env.BCRYPT_COST ?? 12);
const CORES = availableParallelism();
const WEB_CONCURRENCY = process.env.WEB_CONCURRENCY ?? (process.env.DATABASE_URL ? 'auto' : '1');
const SERVICE_WORKERS = WEB_CONCURRENCY === 'auto' ? CORES : Number(WEB_CONCURRENCY);
/** Enough concurrent logins to keep every hashing thread busy, few enough not to time out. */
const HASHING_CONNECTIONS = CORES * 4;

interface Row {
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  ratio?: number;
  note?: string;
}

const rows: Row[] = [];
let servicePid = 0;
let peakDatabaseRssMb = 0;
/**
 * The service's peak by part of the run: issue #3's bound was set for the request scenarios,
 * before the account listing and the webhooks had their own.
 */
let rssPart = 'requests';
const peakRssMbByPart: Record<string, number> = {};

function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether a child of the service is one of its workers (cluster mode), not its database. */
function isServiceWorker(pid: number, script: string): boolean {
  try {
    // A forked worker runs the script by its absolute path.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((argument) => argument.endsWith(script));
  } catch {
    return false;
  }
}

/**
 * The largest service process (the primary, or a worker in cluster mode), and apart from it
 * the embedded database's process, which runs PostgreSQL itself.
 */
function sampleRss(script: string): NodeJS.Timeout {
  return setInterval(() => {
    const children = childPids(servicePid);
    const workers = children.filter((pid) => isServiceWorker(pid, script));
    const others = children.filter((pid) => !workers.includes(pid));
    const serviceMb = Math.max(...[servicePid, ...workers].map(rssMb));
    peakRssMbByPart[rssPart] = Math.max(peakRssMbByPart[rssPart] ?? 0, serviceMb);
    peakDatabaseRssMb = Math.max(peakDatabaseRssMb, ...others.map(rssMb));
  }, 250);
}

function startProcess(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      console.error(`process ${args.join(' ')} exited: ${code ?? signal}`);
  });
  return child;
}

/** Run from a file: node:cluster forks its workers from a script, not from `node -e`. */
const CEILING_SERVER = `
const cluster = require('node:cluster');
const http = require('node:http');
const workers = Number(process.env.WORKERS);
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const body = JSON.stringify({ status: 'ok' });
  http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); })
    .listen(Number(process.env.PORT), '127.0.0.1');
}
`;

async function load(options: Options): Promise<Result> {
  return autocannon({ connections: CONNECTIONS, duration: DURATION, timeout: 30, ...options });
}

/**
 * Responses per second over the whole run. Exact at a few logins a second too, where
 * autocannon's per-second average, rounded, was off by up to a tenth.
 */
const rateOf = (result: Result) => result.requests.total / result.duration;

/** Whole requests a second, or tenths below a hundred (logins, signups). */
const shown = (rate: number) => (rate < 100 ? Math.round(rate * 10) / 10 : Math.round(rate));

function rowOf(scenario: string, result: Result, note?: string): Row {
  return {
    scenario,
    rps: shown(rateOf(result)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    // autocannon counts timeouts among the errors already.
    errors: result.errors,
    non2xx: result.non2xx,
    note,
  };
}

function record(scenario: string, result: Result, note?: string): Row {
  const row = rowOf(scenario, result, note);
  rows.push(row);
  console.log(
    `  ${scenario}: ${row.rps} req/s, p99 ${row.p99} ms, errors ${row.errors}, non-2xx ${row.non2xx}`,
  );
  return row;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[(values.length - 1) >> 1]!;

/**
 * The scenarios that are quoted against the ceiling, measured in turns: this machine's speed
 * drifts by a third within minutes (the bare ceiling alone does), so a ratio is only meaningful
 * between measurements taken side by side. Each round measures every scenario once; a
 * scenario's row is its median round, and its ratio the median of its per-round ratios.
 * The first `ceilings` scenarios are ceilings: a round's ratios are to the fastest of them.
 */
async function measureInRounds(
  scenarios: { name: string; options: Options; note?: string }[],
  ceilings = 1,
): Promise<Row[]> {
  const results = scenarios.map(() => [] as Result[]);
  // Warmed first: the JIT, the connections and the caches of each.
  for (const scenario of scenarios) await load({ ...scenario.options, duration: 2 });
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [index, scenario] of scenarios.entries()) {
      results[index]!.push(await load(scenario.options));
    }
    const rates = results.map((runs) => Math.round(rateOf(runs.at(-1)!)));
    console.log(
      `  round ${round}: ${scenarios.map((s, i) => `${s.name.split(':')[0]} ${rates[i]}`).join(', ')}`,
    );
  }
  const ceilingRates = Array.from({ length: ROUNDS }, (_, round) =>
    Math.max(...results.slice(0, ceilings).map((runs) => rateOf(runs[round]!))),
  );
  return scenarios.map((scenario, index) => {
    const runs = results[index]!;
    const ratios = runs.map((run, round) => rateOf(run) / ceilingRates[round]!);
    rows.push(medianRow(scenario.name, runs, ratios, scenario.note));
    return rows.at(-1)!;
  });
}

/** A scenario measured in rounds: its median round, errors of all rounds, the median ratio. */
function medianRow(scenario: string, runs: Result[], ratios: number[], note?: string): Row {
  const middle = runs.find((run) => rateOf(run) === median(runs.map(rateOf)))!;
  const row = rowOf(scenario, middle, note);
  row.errors = runs.reduce((sum, run) => sum + run.errors, 0);
  row.non2xx = runs.reduce((sum, run) => sum + run.non2xx, 0);
  row.ratio = median(ratios);
  return row;
}

/**
 * Logins against the machine's raw bcrypt rate (every core hashing, nothing else running),
 * taken in turn like the ceiling rounds, so that both see the machine at the same speed.
 */
async function measureLoginsInRounds(
  users: { username: string; password: string }[],
  base: string,
): Promise<{ row: Row; rawBcrypt: number }> {
  const runs: Result[] = [];
  const rawRates: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    rawRates.push(await measureBcryptRate(BCRYPT_COST, DURATION / 2, CORES));
    runs.push(
      await load({ url: base, connections: HASHING_CONNECTIONS, requests: loginRequests(users) }),
    );
    console.log(
      `  round ${round}: raw bcrypt ${rawRates.at(-1)!.toFixed(2)}/s, POST /auth/login ${rateOf(runs.at(-1)!).toFixed(2)}/s`,
    );
  }
  const ratios = runs.map((run, round) => rateOf(run) / rawRates[round]!);
  const rawBcrypt = median(rawRates);
  const note = `ratio to raw bcrypt in the same round (median ${rawBcrypt.toFixed(2)}/s, ${CORES} threads, cost ${BCRYPT_COST})`;
  const row = medianRow('POST /auth/login', runs, ratios, note);
  rows.push(row);
  return { row, rawBcrypt };
}

/** Runs `task` over `items`, `concurrency` at a time. */
async function inBatches<T, R>(
  items: T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += concurrency) {
    results.push(...(await Promise.all(items.slice(start, start + concurrency).map(task))));
  }
  return results;
}

async function prepare(base: string) {
  const tag = randomBytes(3).toString('hex');
  const users = Array.from({ length: Math.max(USERS, CONNECTIONS) }, (_, index) => ({
    email: `bench.${tag}.${index}@example.com`,
    username: `bench_${tag}_${index}`,
    password: `bench password ${index}`,
  }));
  const userIds = (
    await inBatches(users, HASHING_CONNECTIONS, (user) => post(base, '/auth/signup', user))
  ).map(({ id }) => id!);
  const login = (user: (typeof users)[number]) =>
    post(base, '/auth/login', { username_or_email: user.username, password: user.password });
  const accessTokens = (await inBatches(users.slice(0, USERS), HASHING_CONNECTIONS, login)).map(
    (pair) => pair.access_token!,
  );
  const refreshTokens = (
    await inBatches(users.slice(0, CONNECTIONS), HASHING_CONNECTIONS, login)
  ).map((pair) => pair.refresh_token!);
  return { users, userIds, accessTokens, refreshTokens, tag };
}

/**
 * One fixed request per user, which each connection cycles through: autocannon builds a fixed
 * request once, where a setupRequest would rebuild it for every request on the load
 * generator's core, which the service shares.
 */
function meRequests(accessTokens: string[]): Options['requests'] {
  return accessTokens.map((token) => ({
    method: 'GET',
    path: '/auth/me',
    headers: { authorization: `Bearer ${token}` },
  }));
}

function loginRequests(users: { username: string; password: string }[]): Options['requests'] {
  let next = 0;
  return [
    {
      method: 'POST',
      path: '/auth/login',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => {
        const user = users[next++ % users.length]!;
        return {
          ...request,
          body: JSON.stringify({ username_or_email: user.username, password: user.password }),
        };
      },
    },
  ];
}

function table(): string {
  const header = '| scenario | req/s | p50 ms | p99 ms | errors | non-2xx | ratio | note |';
  const lines = rows.map(
    (row) =>
      `| ${row.scenario} | ${row.rps < 100 ? row.rps.toFixed(1) : row.rps} | ${row.p50} | ${row.p99} | ${row.errors} | ${row.non2xx} | ${
        row.ratio === undefined ? '' : row.ratio.toFixed(2)
      } | ${row.note ?? ''} |`,
  );
  return [header, '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |', ...lines].join('\n');
}

/**
 * Last: it renames the prepared users. On a server the listing made the first user `admin`;
 * on the embedded database the bench's administrator is made through BOOTSTRAP_ADMIN_EMAIL.
 */
async function measureWebhooks(
  base: string,
  serverAdminToken: string,
  adminEmail: string,
  adminMails: string[],
  userIds: string[],
  tag: string,
): Promise<void> {
  const adminToken = process.env.DATABASE_URL
    ? serverAdminToken
    : await bootstrapAdministrator(base, adminEmail, adminMails);
  const webhooks = await measureWebhookThroughput(
    base,
    adminToken,
    userIds,
    WEBHOOK_EVENTS,
    16,
    tag,
  );
  rows.push({
    scenario: 'webhooks delivered to a local receiver (events/s)',
    rps: shown(webhooks.eventsPerSecond),
    p50: webhooks.p50,
    p99: webhooks.p99,
    // An event that never arrived is an error as much as a change that failed.
    errors: webhooks.failedChanges + webhooks.missing,
    non2xx: 0,
    note: `${webhooks.events} user.updated over ${userIds.length} users from PATCH /admin/users (${shown(webhooks.changesPerSecond)}/s), first change to last arrival; p50/p99 from a change's answer to its arrival${webhooks.missing > 0 ? `; ${webhooks.missing} never arrived` : ''}`,
  });
  console.log(
    `  webhooks: ${rows.at(-1)!.rps} events/s, p99 ${webhooks.p99} ms after the change, ${webhooks.events} delivered`,
  );
}

async function main(): Promise<void> {
  const ceilingPort = 18_000 + Math.floor(Math.random() * 1000);
  const servicePort = ceilingPort + 1000;
  const helloPort = ceilingPort + 500;
  const expressHelloPort = ceilingPort + 750;
  const ceilingWorkersPort = ceilingPort + 250;
  const ceilingScript = join(tmpdir(), `whazz-bench-ceiling-${process.pid}.cjs`);
  writeFileSync(ceilingScript, CEILING_SERVER);
  const startCeiling = (port: number, workers: number) =>
    startProcess([ceilingScript], { ...process.env, PORT: String(port), WORKERS: String(workers) });
  const ceilings = [startCeiling(ceilingPort, 1)];
  // The service's workers share the cores with the load generator; so may the ceiling's.
  if (SERVICE_WORKERS > 1) ceilings.push(startCeiling(ceilingWorkersPort, SERVICE_WORKERS));
  // The framework's floor on both adapters, as many workers as the service.
  const startHello = (port: number, adapter: 'fastify' | 'express') =>
    startProcess(['--import', 'tsx', 'bench/nest-hello.ts'], {
      ...process.env,
      PORT: String(port),
      ADAPTER: adapter,
      WORKERS: String(SERVICE_WORKERS),
    });
  const floors = [startHello(helloPort, 'fastify'), startHello(expressHelloPort, 'express')];
  // Production refuses to write mail to files: signups mail a sink in this process instead.
  // The webhook scenario's administrator is made by its verification link (on the embedded
  // database, nothing but the service can grant a role), so that one mail is kept.
  const adminEmail = `bench.admin.${randomBytes(3).toString('hex')}@example.com`;
  const adminMails: string[] = [];
  const smtp = await startSmtpSink((text) => {
    if (text.includes(adminEmail)) adminMails.push(text);
  });
  const serviceEnv = {
    ...process.env,
    NODE_ENV: 'production',
    WEB_CONCURRENCY,
    PORT: String(servicePort),
    HOST: '127.0.0.1',
    JWT_SECRET: process.env.JWT_SECRET ?? randomBytes(48).toString('base64'),
    // Production refuses to keep signing keys without a key-encryption key (issue #22).
    SIGNING_KEY_ENCRYPTION_KEY:
      process.env.SIGNING_KEY_ENCRYPTION_KEY ?? randomBytes(32).toString('base64'),
    // And an https issuer URL (issue #22 review); nothing fetches it during the bench.
    AUTH_PUBLIC_URL: process.env.AUTH_PUBLIC_URL ?? 'https://auth.bench.example',
    BCRYPT_COST: String(BCRYPT_COST),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    // All load comes from one address and hits few accounts: limits would measure themselves.
    ...Object.fromEntries(RATE_LIMIT_VARIABLES.map((name) => [name, 'off'])),
    // Except the one every route counts, as in production: counted, but too high to refuse.
    RATE_LIMIT_DEFAULT: process.env.RATE_LIMIT_DEFAULT ?? '9999999/1m',
    LOGIN_BACKOFF_AFTER_FAILURES: '0',
    SMTP_URL: smtp.url,
    // Production refuses links to localhost; nobody follows these.
    APP_PUBLIC_URL: 'https://auth.bench.example',
    BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    // The webhook scenario's receiver listens on loopback.
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    // All load comes from one address, over more connections than a client would hold.
    CONNECTIONS_PER_ADDRESS: 'off',
    EMBEDDED_DATABASE_DIR:
      process.env.EMBEDDED_DATABASE_DIR ?? join(tmpdir(), `whazz-bench-${process.pid}`),
  };
  // What the run writes for itself alone; a database folder the caller named is kept.
  const throwaway = [ceilingScript];
  if (!process.env.EMBEDDED_DATABASE_DIR) throwaway.push(serviceEnv.EMBEDDED_DATABASE_DIR);
  // Exactly what `npm run start:prod` runs (its node flags included), minus npm itself.
  const startProd = (
    JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }
  ).scripts['start:prod']!;
  const serviceArgs = startProd.split(' ').slice(1);
  const service = startProcess(serviceArgs, serviceEnv);
  servicePid = service.pid!;
  const base = `http://127.0.0.1:${servicePort}`;
  try {
    await Promise.all([
      waitFor(`http://127.0.0.1:${ceilingPort}/`),
      ...(ceilings.length > 1 ? [waitFor(`http://127.0.0.1:${ceilingWorkersPort}/`)] : []),
      waitFor(`${base}/health`),
    ]);
    const database = process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PostgreSQL';
    console.log(
      `machine: ${CORES} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`,
    );
    console.log(
      `service: ${database}, redis ${process.env.REDIS_URL ? 'on' : 'off'}, WEB_CONCURRENCY=${WEB_CONCURRENCY} (${SERVICE_WORKERS} worker${SERVICE_WORKERS > 1 ? 's' : ''}), bcrypt cost ${BCRYPT_COST}, RATE_LIMIT_DEFAULT=${serviceEnv.RATE_LIMIT_DEFAULT}`,
    );

    await waitFor(`http://127.0.0.1:${helloPort}/auth/me`);
    await waitFor(`http://127.0.0.1:${expressHelloPort}/auth/me`);
    console.log('preparing users and tokens…');
    const { users, userIds, accessTokens, refreshTokens, tag } = await prepare(base);
    const sampler = sampleRss(serviceArgs.at(-1)!);

    console.log(`ceiling, floor and GET /auth/me, ${ROUNDS} rounds:`);
    const workersCeiling = {
      name: `ceiling, ${SERVICE_WORKERS} workers: bare node:http`,
      options: { url: `http://127.0.0.1:${ceilingWorkersPort}/` },
    };
    const ceilingScenarios = [
      { name: 'ceiling: bare node:http', options: { url: `http://127.0.0.1:${ceilingPort}/` } },
      ...(ceilings.length > 1 ? [workersCeiling] : []),
    ];
    const floorOn = (adapter: string, port: number) => ({
      name: `floor on ${adapter}: NestJS 12, fixed GET /auth/me`,
      options: {
        url: `http://127.0.0.1:${port}`,
        requests: meRequests([`${'x'.repeat(40)}.${'y'.repeat(200)}.${'z'.repeat(43)}`]),
      },
      note: `no guards, logging, headers or data; ${SERVICE_WORKERS} worker(s) like the service`,
    });
    const measured = await measureInRounds(
      [
        ...ceilingScenarios,
        // What the framework costs before the service adds anything, on the adapter the service
        // runs on and on the one it does not (docs/decisions/0001-fastify-over-express.md).
        floorOn('Fastify', helloPort),
        floorOn('Express', expressHelloPort),
        { name: 'GET /auth/me', options: { url: base, requests: meRequests(accessTokens) } },
      ],
      ceilingScenarios.length,
    );
    const [floorRow, , meRow] = measured.slice(ceilingScenarios.length);
    const ceilingRps = Math.max(...measured.slice(0, ceilingScenarios.length).map((r) => r.rps));
    for (const process of [...ceilings, ...floors]) process.kill('SIGTERM');
    meRow!.note = `${accessTokens.length} users; ${(meRow!.ratio! / floorRow!.ratio!).toFixed(2)} of the Fastify floor`;
    // The rest, once each, against the faster ceiling's median round.
    const ratio = (row: Row) => (row.ratio = row.rps / ceilingRps);
    ratio(record('GET /health', await load({ url: `${base}/health` })));

    // A request takes a token from the pool and its response puts the successor back:
    // every chain keeps rotating. (autocannon's context lives for one request sequence only.)
    const refreshPool = [...refreshTokens];
    ratio(
      record(
        'POST /auth/refresh',
        await load({
          url: base,
          requests: [
            {
              method: 'POST',
              path: '/auth/refresh',
              headers: { 'content-type': 'application/json' },
              setupRequest: (request) => ({
                ...request,
                body: JSON.stringify({ refresh_token: refreshPool.shift() ?? 'pool-ran-dry' }),
              }),
              onResponse: (status, body) => {
                if (status === 200)
                  refreshPool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
              },
            },
          ],
        }),
        `${refreshTokens.length} sessions rotating`,
      ),
    );

    console.log(`raw bcrypt and POST /auth/login, ${ROUNDS} rounds:`);
    const { rawBcrypt } = await measureLoginsInRounds(users, base);

    let signupCount = 0;
    const signups = await load({
      url: base,
      connections: HASHING_CONNECTIONS,
      requests: [
        {
          method: 'POST',
          path: '/auth/signup',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => {
            const n = signupCount++;
            return {
              ...request,
              body: JSON.stringify({
                email: `s.${tag}.${n}@example.com`,
                username: `s_${tag}_${n}`,
                password: `signup password ${n}`,
              }),
            };
          },
        },
      ],
    });
    const signupRow = record('POST /auth/signup', signups, 'ratio to the median raw bcrypt rate');
    signupRow.ratio = rateOf(signups) / rawBcrypt;

    // Logins saturate the hashing threads while cheap requests must stay fast.
    const [, meUnderLoad, healthUnderLoad] = await Promise.all([
      load({ url: base, connections: HASHING_CONNECTIONS, requests: loginRequests(users) }),
      load({ url: base, connections: 10, requests: meRequests(accessTokens) }),
      load({ url: `${base}/health`, connections: 5 }),
    ]);
    record('GET /auth/me while logins saturate', meUnderLoad, 'p99 target < 50 ms');
    record('GET /health while logins saturate', healthUnderLoad, 'p99 target < 50 ms');

    // Seeded in SQL, so a PostgreSQL server only: the embedded one is the service's alone.
    if (process.env.DATABASE_URL) {
      rssPart = 'GET /admin/users';
      console.log(`seeding ${LISTING_USERS} accounts for GET /admin/users…`);
      const listingTag = await seedListingUsers(
        process.env.DATABASE_URL,
        LISTING_USERS,
        users[0]!.email,
      );
      // The role was granted in SQL, which no instance is told of: wait until every worker's
      // poll has seen it (one worker answering is not enough: the others would answer 403).
      await waitFor(
        `${base}/admin/users?limit=1`,
        120_000,
        { authorization: `Bearer ${accessTokens[0]!}` },
        4 * SERVICE_WORKERS,
      );
      const listing = await load({
        url: base,
        requests: listingRequests(accessTokens[0]!, listingTag),
      });
      const listingRow = record(
        `GET /admin/users, ${LISTING_USERS} accounts`,
        listing,
        'newest, prefix search, role filter, next page by username, in turn',
      );
      listingRow.ratio = listingRow.rps / ceilingRps;
    }

    // Last: it renames the prepared users. On a server the listing made users[0] `admin`.
    rssPart = 'webhooks';
    console.log(`webhooks: ${WEBHOOK_EVENTS} events to a local receiver…`);
    try {
      await measureWebhooks(base, accessTokens[0]!, adminEmail, adminMails, userIds.slice(1), tag);
    } catch (error) {
      // The summary keeps every other row: this one says it failed, and why.
      console.error('  webhooks failed:', error);
      rows.push({
        scenario: 'webhooks delivered to a local receiver (events/s)',
        rps: 0,
        p50: 0,
        p99: 0,
        errors: 1,
        non2xx: 0,
        note: `failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }

    clearInterval(sampler);
    const summary = {
      date: new Date().toISOString(),
      machine: { cores: CORES, cpu: cpus()[0]?.model, node: process.version },
      service: {
        database,
        redis: Boolean(process.env.REDIS_URL),
        webConcurrency: WEB_CONCURRENCY,
        bcryptCost: BCRYPT_COST,
      },
      rawBcryptPerSecond: rawBcrypt,
      peakRssMb: Math.round(Math.max(0, ...Object.values(peakRssMbByPart))),
      peakRssMbByPart: Object.fromEntries(
        Object.entries(peakRssMbByPart).map(([part, mb]) => [part, Math.round(mb)]),
      ),
      peakEmbeddedDatabaseRssMb: Math.round(peakDatabaseRssMb) || undefined,
      rows,
    };
    console.log(
      `\n${table()}\n\npeak RSS of a service process under load: ${summary.peakRssMb} MB (${Object.entries(
        summary.peakRssMbByPart,
      )
        .map(([part, mb]) => `${part} ${mb}`)
        .join(', ')})`,
    );
    if (summary.peakEmbeddedDatabaseRssMb)
      console.log(
        `peak RSS of the embedded database's process: ${summary.peakEmbeddedDatabaseRssMb} MB`,
      );
    mkdirSync('bench/results', { recursive: true });
    const file = `bench/results/${summary.date.replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`written to ${file}`);
  } finally {
    for (const process of [...ceilings, ...floors, service]) process.kill('SIGTERM');
    // The service must have let go of its database folder before it goes.
    if (service.exitCode === null && service.signalCode === null)
      await new Promise((resolve) => service.once('exit', resolve));
    for (const path of throwaway) rmSync(path, { recursive: true, force: true });
    await smtp.close();
  }
}

await main();
