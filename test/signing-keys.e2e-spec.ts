import { createServer } from 'node:net';
import { createHmac, createPrivateKey } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { runAdminCli } from '../src/admin/admin-cli.js';
import { runKeysCli } from '../src/admin/keys-cli.js';
import { buildConfiguration } from '../src/config/configuration.js';
import { SecretCipher } from '../src/platform/crypto/secret-cipher.js';
import { AuthService } from '../src/auth/auth.service.js';
import { SigningKeyRotationService } from '../src/tokens/signing-keys/signing-key-rotation.service.js';
import { SigningKeysService } from '../src/tokens/signing-keys/signing-keys.service.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './create-test-app.js';
import { auditRowsFor, signUpOperator } from './factories/admin.factory.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { logIn, signUpAndLogIn, type LoggedInUser } from './factories/user.factory.js';
import { within } from './within.js';
import { claimsOf } from './jwt-claims.js';

/** A port nothing listens on now, for an app whose AUTH_PUBLIC_URL must name it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const PROBLEMS = 'https://whazz.audio/problems';
/**
 * Two instances need a PostgreSQL server: the embedded database belongs to one process (as
 * in the multi-instance suites), and two apps on its socket server crash the test worker.
 */
const onServer = inject('databaseKind') === 'server';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** An app on `database`, listening on a real port so that jose can fetch its JWKS. */
async function listeningApp(database: PrivateDatabase, env: Record<string, string> = {}) {
  const port = await freePort();
  const t = await createTestApp({
    ...onPrivateDatabase(database),
    SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '1',
    AUTH_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...env,
  });
  await t.app.listen(port, '127.0.0.1');
  return { t, issuerUrl: `http://127.0.0.1:${port}` };
}

/**
 * What another Whazz service does, knowing only the issuer URL: discovery, then jose's remote
 * JWKS, then the issuer and audience. The JWKS is kept for the `max-age` it is served with and
 * never fetched again sooner, not even for an unknown kid: so no failure proves that a new key
 * is published a whole cache lifetime before it signs, not that the verifier caught up.
 */
async function independentVerifier(issuerUrl: string) {
  const discovery = (await (
    await fetch(`${issuerUrl}/.well-known/openid-configuration`)
  ).json()) as { issuer: string; jwks_uri: string };
  // OIDC Discovery §4.3, RFC 8414 §3.3: a client must refuse any other issuer.
  expect(discovery.issuer).toBe(issuerUrl);
  const cacheControl = (await fetch(discovery.jwks_uri)).headers.get('cache-control') ?? '';
  const maxAgeMs = Number(/max-age=(\d+)/.exec(cacheControl)?.[1]) * 1000;
  expect(maxAgeMs).toBeGreaterThan(0);
  const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(discovery.jwks_uri), {
    cacheMaxAge: maxAgeMs,
    cooldownDuration: maxAgeMs,
  });
  return (token: string) =>
    jwtVerify(token, jwks, { issuer: discovery.issuer, audience: 'whazz-audio' });
}

describe('signing keys (issue #22)', () => {
  let database: PrivateDatabase;
  let t: TestApp;
  let issuerUrl: string;
  let operator: LoggedInUser;

  beforeAll(async () => {
    database = await privateDatabase();
    ({ t, issuerUrl } = await listeningApp(database));
    operator = await signUpOperator(t.http, t.dataSource, ['keys:read', 'keys:write']);
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  const keys = () => t.http.get('/admin/keys').set(bearer(operator.accessToken));
  const rotate = () => t.http.post('/admin/keys/rotate').set(bearer(operator.accessToken));
  const retire = (kid: string) =>
    t.http.post(`/admin/keys/${kid}/retire`).set(bearer(operator.accessToken));
  const me = (token: string) => t.http.get('/auth/me').set(bearer(token));

  it('signs EdDSA with a kid that a verifier finds from the issuer URL alone', async () => {
    const user = await signUpAndLogIn(t.http);
    const header = decodeProtectedHeader(user.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const verify = await independentVerifier(issuerUrl);
    const { payload } = await verify(user.accessToken);
    expect(payload).toMatchObject({ sub: user.id, iss: issuerUrl });

    const discovery = await t.http.get('/.well-known/openid-configuration');
    expect(discovery.body).toMatchObject({
      issuer: issuerUrl,
      jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['EdDSA'],
    });
  });

  it('publishes public keys only, cacheable for the activation delay', async () => {
    const response = await t.http.get('/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=1');
    for (const jwk of response.body.keys as Record<string, unknown>[]) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    }
  });

  it('keeps the private key encrypted in the database, bound to its kid', async () => {
    const [row] = await t.dataSource.query<
      { kid: string; private_key_ciphertext: string; encryption_key_id: string }[]
    >('SELECT kid, private_key_ciphertext, encryption_key_id FROM signing_keys LIMIT 1');
    const { kid, private_key_ciphertext: ciphertext, encryption_key_id: keyId } = row!;
    expect(() =>
      createPrivateKey({ key: Buffer.from(ciphertext, 'base64url'), format: 'der', type: 'pkcs8' }),
    ).toThrow();
    const { encryptionKey } = t.configuration.signingKeys;
    const cipher = new SecretCipher(encryptionKey, []);
    const opened = cipher.open({ ciphertext, keyId }, kid);
    expect(createPrivateKey({ key: opened, format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe(
      'ed25519',
    );
    // Copied onto another key's row, it does not open.
    expect(() => cipher.open({ ciphertext, keyId }, `${kid}x`)).toThrow();
  });

  it('rotates twice with no failed verification, here or at a remote verifier, then retires', async () => {
    const verify = await independentVerifier(issuerUrl);
    const user = await signUpAndLogIn(t.http);
    const oldKid = kidOf(user.accessToken)!;
    const failures: string[] = [];
    const tokens = new Set<string>([user.accessToken]);
    // A client refreshing all the while; every token it ever held is checked on every round.
    let refreshToken = user.refreshToken;
    let running = true;
    let latestKid = oldKid;
    const traffic = (async () => {
      while (running) {
        const refreshed = await t.http.post('/auth/refresh').send({ refresh_token: refreshToken });
        if (refreshed.status !== 200) failures.push(`refresh ${refreshed.status}`);
        refreshToken = refreshed.body.refresh_token as string;
        const token = refreshed.body.access_token as string;
        latestKid = kidOf(token)!;
        tokens.add(token);
        for (const each of tokens) {
          const status = (await me(each)).status;
          if (status !== 200) failures.push(`service ${status} for ${kidOf(each)}`);
          await verify(each).catch((error: unknown) => failures.push(`remote: ${String(error)}`));
        }
        await sleep(50);
      }
    })();

    // Two at once: the lock lets one publish, the other finds it pending.
    const [first, second] = await Promise.all([rotate(), rotate()]);
    const rotated = first.status === 201 ? first : second;
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    expect((first.status === 201 ? second : first).body.type).toBe(`${PROBLEMS}/rotation-pending`);
    expect(rotated.body).toMatchObject({ state: 'pending', algorithm: 'EdDSA' });
    const newKid = rotated.body.kid as string;

    // Published at once, signing after the delay.
    const jwks = await t.http.get('/.well-known/jwks.json');
    expect((jwks.body.keys as { kid: string }[]).map((key) => key.kid)).toContain(newKid);
    await within(4000, () => Promise.resolve(latestKid === newKid));
    // And a second rotation, the proof: still not one failure.
    const again = await rotate();
    expect(again.status).toBe(201);
    const thirdKid = again.body.kid as string;
    await within(4000, () => Promise.resolve(latestKid === thirdKid));
    await sleep(500);
    running = false;
    await traffic;
    expect(failures).toEqual([]);
    expect([...tokens].map(kidOf)).toEqual(expect.arrayContaining([oldKid, newKid, thirdKid]));

    const listed = await keys();
    expect(listed.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kid: thirdKid, state: 'signing' }),
        expect.objectContaining({ kid: newKid, state: 'superseded' }),
        expect.objectContaining({ kid: oldKid, state: 'superseded' }),
      ]),
    );
    expect((await retire(thirdKid)).body.type).toBe(`${PROBLEMS}/signing-key-in-use`);
    expect((await retire('no-such-kid')).status).toBe(404);

    // Retired by hand (a key thought compromised): its tokens are refused at once, remembered
    // or not, and it leaves the JWKS.
    const oldToken = [...tokens].find((token) => kidOf(token) === oldKid)!;
    expect((await me(oldToken)).status).toBe(200);
    const retired = await retire(oldKid);
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ kid: oldKid, state: 'retired' });
    expect((await me(oldToken)).status).toBe(401);
    const after = await t.http.get('/.well-known/jwks.json');
    expect((after.body.keys as { kid: string }[]).map((key) => key.kid)).not.toContain(oldKid);
    const newToken = (await logIn(t.http, user)).accessToken;
    expect((await me(newToken)).status).toBe(200);

    // Audited with the administrator's name.
    expect(await auditRowsFor(t.dataSource, newKid)).toMatchObject([
      { action: 'signing_key.published', actor_user_id: operator.id, target_type: 'signing_key' },
    ]);
    expect(await auditRowsFor(t.dataSource, oldKid)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'signing_key.retired', before: { state: 'superseded' } }),
      ]),
    );
  }, 30_000);

  it('needs keys:read to list and keys:write to rotate', async () => {
    const reader = await signUpOperator(t.http, t.dataSource, ['keys:read']);
    expect((await t.http.get('/admin/keys').set(bearer(reader.accessToken))).status).toBe(200);
    expect((await t.http.post('/admin/keys/rotate').set(bearer(reader.accessToken))).status).toBe(
      403,
    );
    const nobody = await signUpAndLogIn(t.http);
    expect((await t.http.get('/admin/keys').set(bearer(nobody.accessToken))).status).toBe(403);
  });

  it.runIf(onServer)(
    'two instances on one database agree on the published set and the signing key',
    async () => {
      // Instances behind one address share it as their issuer.
      const { t: other } = await listeningApp(database, { AUTH_PUBLIC_URL: issuerUrl });
      try {
        const jwksOf = async (app: TestApp) =>
          ((await app.http.get('/.well-known/jwks.json')).body.keys as { kid: string }[])
            .map((key) => key.kid)
            .sort();
        expect(await jwksOf(other)).toEqual(await jwksOf(t));

        const { kid } = (await runKeysCli(['rotate'], t.configuration)).output.match(
          /^(?<kid>\S+)/,
        )!.groups!;
        // The other instance hears of it through the change feed.
        await within(2000, async () => (await jwksOf(other)).includes(kid!));
        expect(await jwksOf(other)).toEqual(await jwksOf(t));
        const user = await signUpAndLogIn(t.http);
        let refreshToken = user.refreshToken;
        const refreshOn = async (app: TestApp) => {
          const response = await app.http
            .post('/auth/refresh')
            .send({ refresh_token: refreshToken });
          refreshToken = response.body.refresh_token as string;
          return response.body.access_token as string;
        };
        await sleep(1000);
        await within(3000, async () => kidOf(await refreshOn(other)) === kid);
        expect(kidOf(await refreshOn(t))).toBe(kid);
        // A token from one instance is good on the other.
        expect((await me(await refreshOn(other))).status).toBe(200);

        const listed = await runKeysCli(['list'], t.configuration);
        expect(listed.exitCode).toBe(0);
        expect(listed.output).toMatch(new RegExp(`^${kid}  EdDSA  signing`, 'm'));
        expect(await runKeysCli(['retire'], t.configuration)).toMatchObject({ exitCode: 2 });
        expect(await runKeysCli(['retire', kid!], t.configuration)).toMatchObject({
          exitCode: 1,
          output: expect.stringContaining('rotate first'),
        });
        expect(await auditRowsFor(t.dataSource, kid!)).toMatchObject([
          { action: 'signing_key.published', actor_label: expect.stringMatching(/^cli:/) },
        ]);
      } finally {
        await other.close();
      }
    },
    30_000,
  );
});

describe('signing keys: the first start and the switch from HS256 (issue #22)', () => {
  it.runIf(onServer)(
    'two instances starting together on an empty database create one key',
    async () => {
      const database = await privateDatabase();
      const env = { ...onPrivateDatabase(database), SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '1' };
      const apps = await Promise.all([createTestApp(env), createTestApp(env)]);
      try {
        const [{ count }] = await apps[0].dataSource.query<[{ count: string }]>(
          'SELECT count(*) FROM signing_keys',
        );
        expect(count).toBe('1');
      } finally {
        await Promise.all(apps.map((app) => app.close()));
        await database.drop();
      }
    },
  );

  it('keeps HS256 tokens issued before the switch valid, and refuses later ones', async () => {
    const database = await privateDatabase();
    const env = { ...onPrivateDatabase(database), SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '1' };
    const before = await createTestApp({ ...env, JWT_SIGNING_ALGORITHM: 'HS256' });
    const user = await signUpAndLogIn(before.http);
    expect(decodeProtectedHeader(user.accessToken)).toEqual({ alg: 'HS256', typ: 'JWT' });
    // HS256 publishes nothing: other services could not verify it without the secret.
    expect((await before.http.get('/.well-known/jwks.json')).body).toEqual({ keys: [] });
    await before.close();

    const after = await createTestApp({ ...env, JWT_SIGNING_ALGORITHM: 'EdDSA' });
    try {
      const me = (token: string) => after.http.get('/auth/me').set(bearer(token));
      expect((await me(user.accessToken)).status).toBe(200);
      const fresh = await logIn(after.http, user);
      expect(decodeProtectedHeader(fresh.accessToken).alg).toBe('EdDSA');

      // Signed with the same secret, issued once the switch is over (the delay, and a second
      // since `iat` counts whole seconds): refused.
      await sleep(2100);
      const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const claims = { ...claimsOf(user.accessToken), iat: Math.floor(Date.now() / 1000) };
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
      const late = `${unsigned}.${createHmac('sha256', TEST_JWT_SECRET).update(unsigned).digest('base64url')}`;
      expect((await me(late)).status).toBe(401);
      // The one issued before the switch still works until it expires.
      expect((await me(user.accessToken)).status).toBe(200);
    } finally {
      await after.close();
      await database.drop();
    }
  });
});

describe('signing keys: the command line changes only what it is asked to (issue #22 review)', () => {
  it('lists without publishing, and never seals with the development key beside a real one', async () => {
    const database = await privateDatabase();
    const t = await createTestApp({
      ...onPrivateDatabase(database),
      SIGNING_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    });
    try {
      const rows = async () =>
        (
          await t.dataSource.query<{ encryption_key_id: string }[]>(
            'SELECT encryption_key_id FROM signing_keys',
          )
        ).map((row) => row.encryption_key_id);
      const before = await rows();
      expect(before).toHaveLength(1);
      // A shell with another algorithm and no key-encryption key (not production).
      const { signingKeys: shell } = buildConfiguration({ JWT_SIGNING_ALGORITHM: 'ES256' });
      const elsewhere = {
        ...t.configuration,
        signingKeys: {
          ...t.configuration.signingKeys,
          algorithm: shell.algorithm,
          encryptionKey: shell.encryptionKey,
          encryptionKeyIsDevelopment: shell.encryptionKeyIsDevelopment,
        },
      };
      expect(await runKeysCli(['list'], elsewhere)).toMatchObject({ exitCode: 0 });
      expect(await runAdminCli(['list'], elsewhere)).toMatchObject({ exitCode: 0 });
      expect(await rows()).toEqual(before);

      expect(await runKeysCli(['rotate'], elsewhere)).toMatchObject({
        exitCode: 1,
        output: expect.stringContaining('SIGNING_KEY_ENCRYPTION_KEY is not set here'),
      });
      expect(await rows()).toEqual(before);
      // With the key set, the same shell rotates.
      expect(await runKeysCli(['rotate'], t.configuration)).toMatchObject({ exitCode: 0 });
      expect(await rows()).toHaveLength(2);
    } finally {
      await t.close();
      await database.drop();
    }
  }, 30_000);
});

describe('signing keys: signing that cannot happen is a 503, and shows at start-up (issue #22 review)', () => {
  it('answers a refresh with 503 and Retry-After while no key signs, and refuses to start under the wrong key-encryption key', async () => {
    const database = await privateDatabase();
    const env = {
      ...onPrivateDatabase(database),
      SIGNING_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
    };
    const t = await createTestApp(env);
    try {
      const user = await signUpAndLogIn(t.http);
      // Nothing signs (the only key's start moved a day ahead, as a clock far behind would see it).
      await t.dataSource.query(`UPDATE signing_keys SET active_from = now() + interval '1 day'`);
      await t.app.get(SigningKeysService).reload();
      const response = await t.http
        .post('/auth/refresh')
        .send({ refresh_token: user.refreshToken });
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.body.type).toBe('https://whazz.audio/problems/signing-unavailable');
      expect(JSON.stringify(response.body)).not.toMatch(/stack|Error:/);
      await t.dataSource.query(`UPDATE signing_keys SET active_from = now() - interval '1 minute'`);
    } finally {
      await t.close();
    }
    try {
      await expect(
        createTestApp({
          ...env,
          SIGNING_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 4).toString('base64'),
        }),
      ).rejects.toThrow(/SIGNING_KEY_ENCRYPTION_KEY: the signing key does not open/);
    } finally {
      await database.drop();
    }
  }, 30_000);
});

describe('signing keys: one clock for every instance (issue #22 review)', () => {
  it('schedules on the database clock, and the first key signs for a clock a little behind too', async () => {
    const database = await privateDatabase();
    const t = await createTestApp({
      ...onPrivateDatabase(database),
      SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '60',
    });
    const times = () =>
      t.dataSource.query<{ published: number; active: number; now: number }[]>(
        `SELECT extract(epoch FROM published_at) * 1000 AS published,
                extract(epoch FROM active_from) * 1000 AS active,
                extract(epoch FROM now()) * 1000 AS now
           FROM signing_keys ORDER BY published_at`,
      );
    try {
      const [first] = await times();
      expect(Number(first!.published) - Number(first!.active)).toBe(5000);

      // This instance's clock runs ten minutes behind the database's.
      const realNow = Date.now.bind(Date);
      const behind = vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 600_000);
      try {
        await t.app.get(SigningKeyRotationService).rotate({ userId: null, label: 'test' });
      } finally {
        behind.mockRestore();
      }
      const [, second] = await times();
      expect(Math.abs(Number(second!.now) - Number(second!.published))).toBeLessThan(5000);
      expect(Number(second!.active) - Number(second!.published)).toBe(60_000);
    } finally {
      await t.close();
      await database.drop();
    }
  }, 30_000);
});

describe('signing keys: a key retired mid-request (issue #22 review)', () => {
  it('does not remember a token whose key was retired while its session was read', async () => {
    const database = await privateDatabase();
    const t = await createTestApp({
      ...onPrivateDatabase(database),
      SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '1',
    });
    const me = (token: string) => t.http.get('/auth/me').set(bearer(token));
    try {
      const user = await signUpAndLogIn(t.http);
      const rotation = t.app.get(SigningKeyRotationService);
      const actor = { userId: null, label: 'test' };
      await rotation.rotate(actor);
      await sleep(1100);
      const auth = t.app.get(AuthService);
      const authenticate = auth.authenticate.bind(auth);
      const racing = vi.spyOn(auth, 'authenticate').mockImplementation(async (claims) => {
        const principal = await authenticate(claims);
        await rotation.retire(actor, kidOf(user.accessToken)!);
        return principal;
      });
      try {
        expect((await me(user.accessToken)).status).toBe(401);
      } finally {
        racing.mockRestore();
      }
      expect((await me(user.accessToken)).status).toBe(401);
    } finally {
      await t.close();
      await database.drop();
    }
  }, 30_000);
});

describe('signing keys: the schedule keeps itself (issue #22)', () => {
  it('rotates when the interval has passed and retires the old key once its tokens expired, as system', async () => {
    const database = await privateDatabase();
    const t = await createTestApp({
      ...onPrivateDatabase(database),
      SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '1',
      SIGNING_KEY_ROTATION_DAYS: '1',
      ACCESS_TOKEN_EXPIRE_SECONDS: '5',
    });
    const kidsIn = async () =>
      ((await t.http.get('/.well-known/jwks.json')).body.keys as { kid: string }[]).map(
        (key) => key.kid,
      );
    try {
      const user = await signUpAndLogIn(t.http);
      const firstKid = kidOf(user.accessToken)!;
      expect(await kidsIn()).toEqual([firstKid]);

      // A day and a bit in the life of the first key, told to the database (the schedule
      // runs on its clock); the instance rereads the keys at its next poll.
      await t.dataSource.query(
        `UPDATE signing_keys SET published_at = published_at - interval '25 hours',
           active_from = active_from - interval '25 hours' WHERE kid = $1`,
        [firstKid],
      );
      // Housekeeping looks every 15 s: a new key is published, then signs after the delay.
      await within(20_000, async () => (await kidsIn()).length === 2);
      const secondKid = (await kidsIn()).find((kid) => kid !== firstKid)!;
      await sleep(1200);
      expect(kidOf((await logIn(t.http, user)).accessToken)).toBe(secondKid);

      // A token lifetime plus the allowed clock skew after the switch, the first key's last
      // token has expired: the next housekeeping retires it.
      await within(30_000, async () => !(await kidsIn()).includes(firstKid));
      expect(await kidsIn()).toEqual([secondKid]);
      expect(await auditRowsFor(t.dataSource, secondKid)).toMatchObject([
        { action: 'signing_key.published', actor_user_id: null, actor_label: 'system' },
      ]);
      expect(await auditRowsFor(t.dataSource, firstKid)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'signing_key.retired',
            actor_label: 'system',
            before: { state: 'superseded' },
          }),
        ]),
      );
      // The interval counts from the new key: nothing more is due.
      await sleep(1000);
      expect(await kidsIn()).toEqual([secondKid]);
    } finally {
      await t.close();
      await database.drop();
    }
  }, 70_000);
});
