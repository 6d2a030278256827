import { ConfigService } from '@nestjs/config';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfiguration, type Configuration } from '../config/configuration.js';
import { PasswordHashingUnavailableError } from './passwords.errors.js';
import { PasswordHasherService } from './password-hasher.service.js';

function hasherWithCost(bcryptCost: number): PasswordHasherService {
  const config = new ConfigService<Configuration, true>(
    buildConfiguration({ BCRYPT_COST: String(bcryptCost), PASSWORD_HASH_THREADS: '2' }),
  );
  const hasher = new PasswordHasherService(config);
  hasher.onModuleInit();
  return hasher;
}

describe('PasswordHasherService', () => {
  let hasher: PasswordHasherService;
  beforeAll(() => {
    hasher = hasherWithCost(4);
  });
  afterAll(() => hasher.onModuleDestroy());

  it('hashes with bcrypt at the configured cost and verifies the result', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$2b\$04\$.{53}$/);
    expect(await hasher.verify('correct horse battery staple', hash)).toBe(true);
    expect(await hasher.verify('correct horse battery stapler', hash)).toBe(false);
  });

  it('verifies $2a$ hashes as the FastAPI service (passlib/bcrypt) stored them', async () => {
    // OpenBSD bcrypt test vector.
    expect(
      await hasher.verify('U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'),
    ).toBe(true);
  });

  it('treats canonically equivalent passwords as the same (NFKC)', async () => {
    const hash = await hasher.hash('Ｐａｓｓｗｏｒｄ１２'); // full-width
    expect(await hasher.verify('Password12', hash)).toBe(true);
    const composed = await hasher.hash('caf\u00e9 au lait');
    expect(await hasher.verify('cafe\u0301 au lait', composed)).toBe(true);
  });

  it('verifies a FastAPI hash of a password that NFKC changes, typed as it was then', async () => {
    // The FastAPI service hashed the password as typed; this one hashes its NFKC form.
    const legacy = bcrypt.hashSync('Ｐａｓｓｗｏｒｄ１２', 4);
    expect(await hasher.verify('Ｐａｓｓｗｏｒｄ１２', legacy)).toBe(true);
    // The old service refused this form too: no password is accepted that was not before.
    expect(await hasher.verify('Password12', legacy)).toBe(false);
  });

  it('spends as many compares on an unknown account as on a wrong password', async () => {
    const compares: string[] = [];
    const pool = (hasher as unknown as { pool: { compare(p: string, h: string): unknown } }).pool;
    const compare = pool.compare.bind(pool);
    pool.compare = (password, hash) => (compares.push(password), compare(password, hash));
    try {
      const hash = await hasher.hash('a different password');
      for (const typed of ['plain ascii guess', 'ﬁnal guess ①']) {
        compares.length = 0;
        await hasher.verify(typed, hash);
        const forWrongPassword = compares.length;
        compares.length = 0;
        await hasher.verifyAgainstDummy(typed);
        expect(compares.length).toBe(forWrongPassword);
      }
      expect(compares).toEqual(['final guess 1', 'ﬁnal guess ①']);
    } finally {
      pool.compare = compare;
    }
  });

  it('never lets a password longer than 72 bytes match on its first 72 bytes', async () => {
    const hash = await hasher.hash('a'.repeat(72));
    expect(await hasher.verify('a'.repeat(72), hash)).toBe(true);
    expect(await hasher.verify(`${'a'.repeat(72)}b`, hash)).toBe(false);
  });

  it('fails a check against the dummy hash', async () => {
    expect(await hasher.verifyAgainstDummy('anything at all')).toBe(false);
  });

  it('answers 503, not 500, when no hashing thread can take the check', async () => {
    const stopped = hasherWithCost(4);
    await stopped.onModuleDestroy();
    for (const check of [
      () => stopped.hash('a password'),
      () => stopped.verify('a password', '$2b$04$' + 'a'.repeat(53)),
      () => stopped.verifyAgainstDummy('a password'),
    ]) {
      const refusal = await check().catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(PasswordHashingUnavailableError);
      expect((refusal as PasswordHashingUnavailableError).problem).toMatchObject({
        status: 503,
        headers: { 'Retry-After': '5' },
      });
    }
  });

  it('hashes on worker threads: the event loop keeps turning during a cost-12 hash', async () => {
    const slow = hasherWithCost(12);
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 5);
    await slow.hash('a password for the slow hasher');
    clearInterval(ticker);
    await slow.onModuleDestroy();
    // A cost-12 bcryptjs hash takes ~250 ms; on the event loop there would be no ticks at all.
    expect(ticks).toBeGreaterThan(10);
  });
});
