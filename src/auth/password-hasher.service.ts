import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Configuration } from '../config/configuration.js';
import { BcryptWorkerPool } from './bcrypt-worker-pool.js';
import { MAX_PASSWORD_BYTES, normalisePassword, passwordByteLength } from './password-rules.js';

/** bcrypt (bcryptjs, `$2b$`) on a pool of worker threads, never on the event loop. */
@Injectable()
export class PasswordHasherService implements OnModuleInit, OnModuleDestroy {
  private readonly cost: number;
  private readonly pool: BcryptWorkerPool;
  private dummyHash: Promise<string>;

  constructor(config: ConfigService<Configuration, true>) {
    const auth = config.get('auth', { infer: true });
    this.cost = auth.bcryptCost;
    this.pool = new BcryptWorkerPool(auth.passwordHashThreads);
  }

  onModuleInit(): void {
    // A hash of nothing anyone knows, at the configured cost: checking a password against
    // it takes as long as checking a real one, so unknown accounts answer no faster.
    this.dummyHash = this.pool.hash(randomBytes(32).toString('base64'), this.cost);
    // Fails only if the pool closes first; a login that needed it fails then too, not the process.
    this.dummyHash.catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.close();
  }

  hash(password: string): Promise<string> {
    return this.pool.hash(normalisePassword(password), this.cost);
  }

  /** Hashes from the FastAPI service (`$2a$`/`$2b$`) verify as they are. */
  async verify(password: string, hash: string): Promise<boolean> {
    const matches = await this.pool.compare(normalisePassword(password), hash);
    // Past 72 bytes bcrypt would compare only a prefix; such a password was never accepted.
    return matches && passwordByteLength(password) <= MAX_PASSWORD_BYTES;
  }

  /** Spends the time of a real check and fails: for logins to accounts that do not exist. */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.pool.compare(normalisePassword(password), await this.dummyHash);
    return false;
  }
}
