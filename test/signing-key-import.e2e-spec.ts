import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCli } from '../src/admin/keys-cli.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { auditRowsFor, signUpOperator } from './factories/admin.factory.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { signUpAndLogIn } from './factories/user.factory.js';
import { within } from './within.js';

const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }) as string;
const spki = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }) as string;

// A database of its own: the import decides which key signs for every account.
describe('npm run keys -- import (issue #22: keys from files or the environment)', () => {
  let database: PrivateDatabase;
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    database = await privateDatabase();
    t = await createTestApp({
      ...onPrivateDatabase(database),
      SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '1',
    });
    dir = await mkdtemp(join(tmpdir(), 'whazz-key-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await t.close();
    await database.drop();
  });

  const keys = (...args: string[]) => runKeysCli(args, t.configuration);
  const fileWith = async (name: string, contents: string) => {
    const path = join(dir, name);
    await writeFile(path, contents);
    return path;
  };
  const jwks = async () =>
    (await t.http.get('/.well-known/jwks.json')).body as JSONWebKeySet & {
      keys: { kid: string }[];
    };
  const rowCount = async () =>
    Number(
      (await t.dataSource.query<[{ count: string }]>('SELECT count(*) FROM signing_keys'))[0].count,
    );
  /** The next key may be imported once the last one signs (one pending key at a time). */
  const activateAll = () =>
    t.dataSource.query(
      `UPDATE signing_keys SET active_from = now() - interval '1 second' WHERE active_from > now()`,
    );

  // The command line is another process: the app hears of its key through the change feed,
  // or, where no notification reaches it (the embedded database's one-session server), by the
  // poll within a second.
  const publishedKids = async () => (await jwks()).keys.map((key) => key.kid);
  it('publishes a PEM Ed25519 key at once, signs with it after the delay, and seals it', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const path = await fileWith('ed25519.pem', pem(privateKey));

    const imported = await keys('import', path);
    expect(imported.exitCode).toBe(0);
    expect(imported.output).toMatch(new RegExp(`^${kid}  EdDSA  pending`));
    expect(imported.output).toContain('no longer needed');
    expect((await keys('list')).output).toMatch(new RegExp(`^${kid}  EdDSA  pending`, 'm'));
    await within(3000, async () => (await publishedKids()).includes(kid));
    expect((await jwks()).keys).toContainEqual({ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' });

    // After SIGNING_KEY_ACTIVATION_DELAY_SECONDS (1 s) new tokens carry it, and verify with
    // the public key made here as with the published set.
    let token = '';
    await within(4000, async () => {
      token = (await signUpAndLogIn(t.http)).accessToken;
      return decodeProtectedHeader(token).kid === kid;
    });
    await expect(jwtVerify(token, publicKey)).resolves.toBeDefined();
    await expect(jwtVerify(token, createLocalJWKSet(await jwks()))).resolves.toBeDefined();
    expect((await t.http.get('/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);

    const [row] = await t.dataSource.query<{ private_key_ciphertext: string }[]>(
      'SELECT private_key_ciphertext FROM signing_keys WHERE kid = $1',
      [kid],
    );
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const ciphertext = Buffer.from(row!.private_key_ciphertext, 'base64url');
    expect(ciphertext.includes(der.subarray(-32))).toBe(false);
    expect(row!.private_key_ciphertext).not.toContain(pem(privateKey).split('\n')[1]);
    expect(await auditRowsFor(t.dataSource, kid)).toMatchObject([
      {
        action: 'signing_key.published',
        actor_label: expect.stringMatching(/^cli:/),
        after: { algorithm: 'EdDSA', imported: true },
      },
    ]);
  }, 30_000);

  it('imports a private JWK from an environment variable', async () => {
    await activateAll();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
    process.env.WHAZZ_TEST_SIGNING_KEY = JSON.stringify(await exportJWK(privateKey));
    try {
      const imported = await keys('import', '--from-env', 'WHAZZ_TEST_SIGNING_KEY');
      expect(imported).toMatchObject({ exitCode: 0, output: expect.stringContaining(kid) });
    } finally {
      delete process.env.WHAZZ_TEST_SIGNING_KEY;
    }
    await within(3000, async () => (await publishedKids()).includes(kid));
    // Like rotate, one pending key at a time.
    const another = pem(generateKeyPairSync('ed25519').privateKey);
    expect(await keys('import', await fileWith('another.pem', another))).toMatchObject({
      exitCode: 1,
      output: expect.stringContaining('not signing yet'),
    });
    expect(await keys('import', '--from-env', 'WHAZZ_TEST_SIGNING_KEY')).toEqual({
      exitCode: 1,
      output: 'WHAZZ_TEST_SIGNING_KEY is not set or empty.',
    });
  });

  it('refuses what cannot sign here in one line, without quoting the key, and stores nothing', async () => {
    await activateAll();
    const before = await rowCount();
    const ed = generateKeyPairSync('ed25519');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const cases: [string, string, RegExp][] = [
      ['rsa.pem', pem(rsa.privateKey), /key is RSA; JWT_SIGNING_ALGORITHM=EdDSA/],
      ['public.pem', spki(ed.publicKey), /public key/],
      ['public.jwk', JSON.stringify(await exportJWK(ed.publicKey)), /public key/],
      ['p256.pem', pem(p256.privateKey), /key is EC P-256; .*Ed25519/],
      ['p384.jwk', JSON.stringify(await exportJWK(p384.privateKey)), /key is EC P-384/],
      ['oct.jwk', JSON.stringify({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' }), /symmetric/],
      ['garbage.txt', 'c2VjcmV0LXNlY3JldC1zZWNyZXQ not a key', /Neither a PEM/],
      ['broken.json', '{"kty": "OKP", "d": "c2VjcmV0LXNlY3JldC1zZWNyZXQ"', /does not parse/],
      [
        'truncated.pem',
        pem(ed.privateKey).replace(/^(.{30}).*$/m, '$1'),
        /does not hold a readable/,
      ],
    ];
    for (const [name, contents, message] of cases) {
      const refused = await keys('import', await fileWith(name, contents));
      expect(refused, name).toEqual({ exitCode: 1, output: expect.stringMatching(message) });
      expect(refused.output, name).not.toMatch(/\n|BEGIN|c2VjcmV0|at \S+ \(/);
      for (const line of contents.split('\n').filter((each) => each.length > 20)) {
        expect(refused.output, name).not.toContain(line.slice(0, 20));
      }
    }
    // The key of the first case again.
    expect(await keys('import', join(dir, 'ed25519.pem'))).toEqual({
      exitCode: 1,
      output: expect.stringMatching(/^This key is already in the store as \S+;/),
    });
    expect(await keys('import', join(dir, 'missing.pem'))).toEqual({
      exitCode: 1,
      output: `Cannot read ${join(dir, 'missing.pem')} (ENOENT).`,
    });
    // An ES256 service takes P-256 keys only.
    const es256 = {
      ...t.configuration,
      signingKeys: { ...t.configuration.signingKeys, algorithm: 'ES256' as const },
    };
    expect(await runKeysCli(['import', join(dir, 'ed25519.pem')], es256)).toEqual({
      exitCode: 1,
      output: 'The key is Ed25519; JWT_SIGNING_ALGORITHM=ES256 signs with EC P-256 keys only.',
    });
    expect((await keys('import')).exitCode).toBe(2);
    expect((await keys('import', 'a', 'b')).exitCode).toBe(2);
    expect(await rowCount()).toBe(before);
  }, 30_000);

  it('imports through POST /admin/keys/import with keys:write, answering the public view only', async () => {
    await activateAll();
    const writer = await signUpOperator(t.http, t.dataSource, ['keys:read', 'keys:write']);
    const reader = await signUpOperator(t.http, t.dataSource, ['keys:read']);
    const post = (token: string, body: object) =>
      t.http.post('/admin/keys/import').set('Authorization', `Bearer ${token}`).send(body);
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
    const privatePem = pem(privateKey);

    expect((await post(reader.accessToken, { private_key: privatePem })).status).toBe(403);
    const imported = await post(writer.accessToken, { private_key: privatePem });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ kid, algorithm: 'EdDSA', state: 'pending' });
    expect(JSON.stringify(imported.body)).not.toMatch(/BEGIN|"d"|private/i);
    expect((await jwks()).keys.map((key) => key.kid)).toContain(kid);
    expect(await auditRowsFor(t.dataSource, kid)).toMatchObject([
      { action: 'signing_key.published', actor_user_id: writer.id, after: { imported: true } },
    ]);

    const again = await post(writer.accessToken, { private_key: privatePem });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('https://whazz.audio/problems/signing-key-exists');
    const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const refused = await post(writer.accessToken, { private_key: rsa });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe('https://whazz.audio/problems/signing-key-import-refused');
    expect(JSON.stringify(refused.body)).not.toContain(rsa.split('\n')[1]!.slice(0, 20));
    expect((await post(writer.accessToken, {})).status).toBe(422);
  }, 30_000);
});
