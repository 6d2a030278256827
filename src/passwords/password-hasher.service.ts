import { randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Configuration } from '../config/configuration.js';
import { PasswordHashingUnavailableError } from './passwords.errors.js';
import { BcryptWorkerPool, HashingUnavailableError } from './bcrypt-worker-pool.js';
import { MAX_PASSWORD_BYTES, normalisePassword } from './password-policy.js';

/** bcrypt (bcryptjs, `$2b$`) on a pool of worker threads, never on the event loop. */
@Injectable()
export class PasswordHasherService implements OnModuleInit, OnModuleDestroy {
  private readonly cost: number;
  private readonly pool: BcryptWorkerPool;
  private dummyHash: Promise<string>;

  constructor(config: ConfigService<Configuration, true>) {
    const passwords = config.get('passwords', { infer: true });
    this.cost = passwords.bcryptCost;
    const logger = new Logger('PasswordHashing');
    this.pool = new BcryptWorkerPool(passwords.hashThreads, {
      onThreadFailure: (error, respawnInMs) =>
        logger.warn(
          `A password hashing thread ended (${error.message}); its replacement starts in ${respawnInMs} ms`,
        ),
    });
  }

  onModuleInit(): void {
    this.dummyHash = this.makeDummyHash();
  }

  /**
   * A hash of nothing anyone knows, at the configured cost: checking a password against it
   * takes as long as checking a real one, so unknown accounts answer no faster.
   */
  private makeDummyHash(): Promise<string> {
    const dummyHash = this.hashing(this.pool.hash(randomBytes(32).toString('base64'), this.cost));
    // Fails only if no thread could hash it; the login that needed it fails then, not the process.
    dummyHash.catch(() => undefined);
    return dummyHash;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.close();
  }

  hash(password: string): Promise<string> {
    return this.hashing(this.pool.hash(normalisePassword(password), this.cost));
  }

  /**
   * Hashes from the FastAPI service (`$2a$`/`$2b$`) verify as they are. That service hashed
   * the password as typed, not NFKC; where the two differ, the typed form is tried second.
   * An account with no password (opened through a provider, issue #21) fails as a wrong
   * password does, in the same time.
   */
  async verify(password: string, hash: string | null): Promise<boolean> {
    if (hash === null) return this.verifyAgainstDummy(password);
    for (const candidate of candidateForms(password)) {
      if (await this.hashing(this.pool.compare(candidate, hash))) return true;
    }
    return false;
  }

  /** Spends the time of a real check and fails: for logins to accounts that do not exist. */
  async verifyAgainstDummy(password: string): Promise<false> {
    const dummyHash = await this.dummyHash.catch((error: unknown) => {
      // Made again for the next login: a thread that failed once must not fail these for ever.
      this.dummyHash = this.makeDummyHash();
      throw error;
    });
    // As many compares as a failed real check, so the answer's timing depends on the input only.
    for (const candidate of candidateForms(password))
      await this.hashing(this.pool.compare(candidate, dummyHash));
    return false;
  }

  /** A task no thread could run is the instance's trouble, not the caller's: a 503. */
  private async hashing<T>(task: Promise<T>): Promise<T> {
    try {
      return await task;
    } catch (error) {
      throw error instanceof HashingUnavailableError
        ? new PasswordHashingUnavailableError()
        : error;
    }
  }
}

/**
 * NFKC first, then the password as typed if it differs (the FastAPI service's form). Past 72
 * bytes bcrypt would compare only a prefix, so a longer form is never compared at all.
 */
function candidateForms(password: string): string[] {
  const normalised = normalisePassword(password);
  const forms = normalised === password ? [normalised] : [normalised, password];
  return forms.filter((form) => Buffer.byteLength(form, 'utf8') <= MAX_PASSWORD_BYTES);
}
