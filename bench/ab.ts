/**
 * `npm run bench:ab`: CPU time a request of two builds of the service, A and B, served side by
 * side and loaded in turns (A B, B A, A B, ...), so that the drift of a busy machine falls on
 * both alike. CPU time, not throughput: on a shared 2-core VM the rate moves with the
 * neighbours, the CPU a request much less. Not a test; never run in CI.
 *
 *   AB_A=HEAD, AB_B=.          a git ref (built once into the temp folder), a folder holding a
 *                              build (`dist/src/main.js`), or `.`: this checkout, built first
 *   AB_A_ENV, AB_B_ENV         extra settings of one variant: `NAME=value NAME=value`
 *   DATABASE_URL               required: a PostgreSQL server; the run makes its own database
 *   REDIS_URL                  passed to both when given
 *   AB_ROUNDS=10               rounds; each loads A once and B once
 *   AB_DURATION=5              seconds a turn
 *   AB_WARMUP=10               seconds of the warm-up turn of each, not counted (the JIT, the
 *                              caches of users and verified tokens, the connections)
 *   AB_CONNECTIONS=50          connections of the load
 *   AB_RATE=1000               requests a second, offered to either variant alike; 0: as many
 *                              as it answers (a faster variant then batches more work a turn,
 *                              so CPU a request depends on the rate: compare at the same one)
 *   AB_MODE=turns              `turns`: A and B loaded one after the other, in alternating order;
 *                              `together`: both loaded at once, each at AB_RATE, so that every
 *                              moment of a neighbour's load falls on both (they share the cores
 *                              with each other as well: compare ratios, not µs, across modes)
 *   AB_USERS=50                users of each variant, logged in through it: `GET /auth/me` cycles
 *                              through the tokens that variant issued
 *
 * A variant's CPU is the run time of its process's threads from /proc (schedstat, in ns: the
 * event loop, the bcrypt pool, V8's helpers), over the responses of its turn. Its stdout is a
 * pipe that `cat` drains to /dev/null in a process of its own, as a log collector would, so
 * the harness's own load never slows the reading; the bytes a request written there are
 * shown, so a variant that stopped logging shows at once. The ratio is B over A in the same round; the table gives its
 * median, interquartile range and extremes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon, { type Options, type Result } from 'autocannon';
import pg from 'pg';
import { RATE_LIMIT_VARIABLES } from '../src/config/configuration.js';
import { post, waitFor } from './service-http.js';
import { startSmtpSink } from './smtp-sink.js';

const ROUNDS = Number(process.env.AB_ROUNDS ?? 10);
const DURATION = Number(process.env.AB_DURATION ?? 5);
const WARMUP = Number(process.env.AB_WARMUP ?? 10);
const CONNECTIONS = Number(process.env.AB_CONNECTIONS ?? 50);
const USERS = Number(process.env.AB_USERS ?? 50);
const RATE = Number(process.env.AB_RATE ?? 1000);
const TOGETHER = (process.env.AB_MODE ?? 'turns') === 'together';
const REPOSITORY = process.cwd();

interface Variant {
  name: 'A' | 'B';
  spec: string;
  dir: string;
  env: Record<string, string>;
  port: number;
  process?: ChildProcess;
  drain?: ChildProcess;
  turns: { cpuUs: number; responses: number; rate: number; stdoutBytes: number }[];
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * The folder of a build of `spec`. A ref is exported with `git archive` (no worktree), given
 * this checkout's node_modules and built there, once: the folder is named by its commit.
 */
function buildOf(spec: string): string {
  if (spec === '.') {
    console.log('building this checkout…');
    run('npm', ['run', 'build', '--silent'], REPOSITORY);
    return REPOSITORY;
  }
  if (existsSync(join(spec, 'dist/src/main.js'))) return resolve(spec);
  const commit = run('git', ['rev-parse', '--verify', `${spec}^{commit}`], REPOSITORY).trim();
  const dir = join(tmpdir(), `whazz-ab-${commit.slice(0, 12)}`);
  if (existsSync(join(dir, 'dist/src/main.js'))) return dir;
  console.log(`building ${spec} (${commit.slice(0, 12)}) in ${dir}…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C '${dir}'`], { cwd: REPOSITORY });
  symlinkSync(join(REPOSITORY, 'node_modules'), join(dir, 'node_modules'));
  run('npm', ['run', 'build', '--silent'], dir);
  return dir;
}

/** `NAME=value NAME=value` */
function settingsOf(text: string | undefined): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const pair of (text ?? '').split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`not NAME=value: ${pair}`);
    settings[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return settings;
}

/**
 * Time on a CPU of a process's threads, in microseconds: schedstat's nanoseconds, where
 * stat's user and system times come in 10 ms ticks. The service's threads live as long as
 * it does (the event loop, libuv's and V8's pools, the bcrypt workers).
 */
function cpuUs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return ns / 1000;
}

/** Bytes the drain of a variant's stdout has read. */
function drainedBytes(variant: Variant): number {
  const io = readFileSync(`/proc/${variant.drain!.pid!}/io`, 'utf8');
  return Number(/rchar: (\d+)/.exec(io)![1]);
}

let stopping = false;
const alive = (variant: Variant) => existsSync(`/proc/${variant.process!.pid!}/stat`);

/** Exactly what the build's `npm run start:prod` runs, node flags included, minus npm. */
function start(variant: Variant, env: NodeJS.ProcessEnv): void {
  const scripts = (
    JSON.parse(readFileSync(join(variant.dir, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const args = scripts['start:prod']!.split(' ').slice(1);
  // Started through an entry of its own name: other jobs on a shared machine stop their
  // services by the command line (`dist/src/main.js`), and stopped these mid-run.
  const entry = join(variant.dir, `whazz-ab-serve-${variant.name}.mjs`);
  writeFileSync(entry, `import './${args.at(-1)!}';\n`);
  args[args.length - 1] = entry;
  variant.drain ??= spawn('cat', [], { stdio: ['pipe', 'ignore', 'inherit'] });
  const child = spawn(process.execPath, args, {
    cwd: variant.dir,
    env: { ...env, ...variant.env, PORT: String(variant.port) },
    stdio: ['ignore', variant.drain.stdin!, 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`${variant.name} exited: ${code ?? signal}`);
  });
  variant.process = child;
}

/** Access tokens of USERS new users, issued by the service at `base`. */
async function accessTokens(base: string): Promise<string[]> {
  const tag = randomBytes(3).toString('hex');
  const tokens: string[] = [];
  for (let start = 0; start < USERS; start += 8) {
    const batch = Array.from({ length: Math.min(8, USERS - start) }, (_, i) => ({
      email: `ab.${tag}.${start + i}@example.com`,
      username: `ab_${tag}_${start + i}`,
      password: `ab password ${start + i}`,
    }));
    await Promise.all(batch.map((user) => post(base, '/auth/signup', user)));
    const pairs = await Promise.all(
      batch.map((user) =>
        post(base, '/auth/login', { username_or_email: user.username, password: user.password }),
      ),
    );
    tokens.push(...pairs.map((pair) => pair.access_token!));
  }
  return tokens;
}

async function turn(variant: Variant, requests: Options['requests'], duration: number) {
  const pid = variant.process!.pid!;
  const bytesBefore = drainedBytes(variant);
  const before = cpuUs(pid);
  const result: Result = await autocannon({
    url: `http://127.0.0.1:${variant.port}`,
    connections: CONNECTIONS,
    duration,
    requests,
    ...(RATE > 0 ? { overallRate: RATE } : {}),
  });
  // The answers in flight when the load stopped, and the log lines of their turn.
  await new Promise((done) => setTimeout(done, 200));
  const cpu = cpuUs(pid) - before;
  if (result.errors > 0 || result.non2xx > 0)
    throw new Error(`${variant.name}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  const responses = result.requests.total;
  return {
    cpuUs: cpu / responses,
    responses,
    rate: Math.round(responses / result.duration),
    stdoutBytes: (drainedBytes(variant) - bytesBefore) / responses,
  };
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
/** Linear interpolation between the closest ranks. */
function quantile(values: number[], q: number): number {
  const s = sorted(values);
  const at = (s.length - 1) * q;
  const low = Math.floor(at);
  return s[low]! + (s[Math.min(low + 1, s.length - 1)]! - s[low]!) * (at - low);
}

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL: a PostgreSQL server is required');
  const port = 19_000 + Math.floor(Math.random() * 500);
  const variants: Variant[] = (['A', 'B'] as const).map((name, index) => {
    const spec = process.env[`AB_${name}`] ?? (name === 'A' ? 'HEAD' : '.');
    return {
      name,
      spec,
      dir: buildOf(spec),
      env: settingsOf(process.env[`AB_${name}_ENV`]),
      port: port + index,
      turns: [],
    };
  });

  const database = `whazz_ab_${process.pid}`;
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const databaseUrl = new URL(process.env.DATABASE_URL);
  databaseUrl.pathname = `/${database}`;
  const smtp = await startSmtpSink();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    WEB_CONCURRENCY: '1',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl.toString(),
    JWT_SECRET: randomBytes(48).toString('base64'),
    BCRYPT_COST: '10',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    // As `npm run bench`: one address, few accounts; only the per-address limit is counted.
    ...Object.fromEntries(RATE_LIMIT_VARIABLES.map((name) => [name, 'off'])),
    RATE_LIMIT_DEFAULT: '9999999/1m',
    LOGIN_BACKOFF_AFTER_FAILURES: '0',
    // What production asks for since issue #18, as `npm run bench` sets it.
    SMTP_URL: smtp.url,
    APP_PUBLIC_URL: 'https://auth.bench.example',
    // And since issue #22: a key-encryption key and an https issuer URL.
    SIGNING_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUTH_PUBLIC_URL: 'https://auth.bench.example',
    CONNECTIONS_PER_ADDRESS: 'off',
  };
  try {
    // One after the other: the first runs the migrations.
    for (const variant of variants) {
      start(variant, env);
      await waitFor(`http://127.0.0.1:${variant.port}/health`);
    }
    console.log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`,
    );
    for (const v of variants)
      console.log(`${v.name}: ${v.spec} (${v.dir}) ${JSON.stringify(v.env)}`);
    console.log(
      `GET /auth/me, ${USERS} users, ${CONNECTIONS} connections, ${RATE > 0 ? `${RATE} req/s` : 'as fast as answered'}, ${TOGETHER ? 'loaded together' : 'loaded in turns'}, redis ${process.env.REDIS_URL ? 'on' : 'off'}; ${ROUNDS} rounds of ${DURATION} s a turn`,
    );
    // Each variant is loaded with tokens it issued itself: two builds that sign differently
    // (HS256 against EdDSA, say) are each measured on their own tokens.
    const requestsOf = new Map<Variant, Options['requests']>();
    for (const variant of variants) {
      const tokens = await accessTokens(`http://127.0.0.1:${variant.port}`);
      requestsOf.set(
        variant,
        tokens.map((token) => ({
          method: 'GET',
          path: '/auth/me',
          headers: { authorization: `Bearer ${token}` },
        })),
      );
    }
    const requests = (variant: Variant) => requestsOf.get(variant)!;

    for (const variant of variants) await turn(variant, requests(variant), WARMUP);
    let restarts = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      // A B, then B A: a drift within a round falls on both.
      const order = round % 2 === 1 ? variants : [...variants].reverse();
      const turns = new Map<Variant, Variant['turns'][number]>();
      try {
        if (TOGETHER) {
          const both = await Promise.all(variants.map((v) => turn(v, requests(v), DURATION)));
          variants.forEach((variant, index) => turns.set(variant, both[index]!));
        } else {
          for (const variant of order)
            turns.set(variant, await turn(variant, requests(variant), DURATION));
        }
      } catch (error) {
        // On a shared machine something else may stop a server: start it again, warm it up
        // and take the round again, a few times.
        const stopped = variants.filter((v) => v.process!.exitCode !== null || !alive(v));
        if (stopped.length === 0 || ++restarts > 3) throw error;
        for (const variant of stopped) {
          console.log(`  ${variant.name} stopped; starting it again`);
          start(variant, env);
          await waitFor(`http://127.0.0.1:${variant.port}/health`);
          await turn(variant, requests(variant), WARMUP);
        }
        round -= 1;
        continue;
      }
      for (const variant of variants) variant.turns.push(turns.get(variant)!);
      const [a, b] = variants.map((v) => v.turns.at(-1)!);
      console.log(
        `  round ${round}: A ${a!.cpuUs.toFixed(1)} µs (${a!.rate}/s), B ${b!.cpuUs.toFixed(1)} µs (${b!.rate}/s), B/A ${(b!.cpuUs / a!.cpuUs).toFixed(3)}`,
      );
    }

    const [a, b] = variants as [Variant, Variant];
    const ratios = a.turns.map((turnA, i) => b.turns[i]!.cpuUs / turnA.cpuUs);
    const line = (v: Variant) => {
      const cpu = v.turns.map((t) => t.cpuUs);
      const rate = v.turns.map((t) => t.rate);
      const bytes = v.turns.map((t) => t.stdoutBytes);
      return `${v.name}: ${quantile(cpu, 0.5).toFixed(1)} µs CPU/request (IQR ${quantile(cpu, 0.25).toFixed(1)}–${quantile(cpu, 0.75).toFixed(1)}), ${Math.round(quantile(rate, 0.5))} req/s, ${quantile(bytes, 0.5).toFixed(0)} stdout bytes/request`;
    };
    const summary = {
      date: new Date().toISOString(),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
      settings: {
        rounds: ROUNDS,
        duration: DURATION,
        warmup: WARMUP,
        connections: CONNECTIONS,
        rate: RATE,
        mode: TOGETHER ? 'together' : 'turns',
        users: USERS,
      },
      redis: Boolean(process.env.REDIS_URL),
      variants: variants.map(({ name, spec, env: settings, turns }) => ({
        name,
        spec,
        env: settings,
        turns,
      })),
      ratio: {
        median: quantile(ratios, 0.5),
        q1: quantile(ratios, 0.25),
        q3: quantile(ratios, 0.75),
        min: Math.min(...ratios),
        max: Math.max(...ratios),
      },
    };
    const r = summary.ratio;
    console.log(
      `\n${line(a)}\n${line(b)}\nB/A: ${r.median.toFixed(3)} (IQR ${r.q1.toFixed(3)}–${r.q3.toFixed(3)}, range ${r.min.toFixed(3)}–${r.max.toFixed(3)}, ${ROUNDS} rounds)`,
    );
    mkdirSync(join(REPOSITORY, 'bench/results'), { recursive: true });
    const file = join(REPOSITORY, `bench/results/ab-${summary.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`written to ${file}`);
  } finally {
    stopping = true;
    for (const variant of variants) variant.process?.kill('SIGTERM');
    for (const { process: child } of variants)
      if (child && child.exitCode === null && child.signalCode === null)
        await new Promise((done) => child.once('exit', done));
    for (const variant of variants) {
      variant.drain?.stdin!.end();
      rmSync(join(variant.dir, `whazz-ab-serve-${variant.name}.mjs`), { force: true });
    }
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    await smtp.close();
  }
}

await main();
