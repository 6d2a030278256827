import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import bcrypt from 'bcryptjs';
import type { Configuration } from '../config/configuration.js';
import { MAX_PASSWORD_BYTES, normalisePassword, passwordByteLength } from './password-rules.js';

@Injectable()
export class PasswordHasherService implements OnModuleInit {
  private readonly cost: number;
  private dummyHash: Promise<string>;

  constructor(config: ConfigService<Configuration, true>) {
    this.cost = config.get('auth', { infer: true }).bcryptCost;
  }

  onModuleInit(): void {
    // A hash of nothing anyone knows, at the configured cost: checking a password against
    // it takes as long as checking a real one, so unknown accounts answer no faster.
    this.dummyHash = bcrypt.hash(randomBytes(32).toString('base64'), this.cost);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(normalisePassword(password), this.cost);
  }

  /** Hashes from the FastAPI service (`$2a$`/`$2b$`) verify as they are. */
  async verify(password: string, hash: string): Promise<boolean> {
    const matches = await bcrypt.compare(normalisePassword(password), hash);
    // Past 72 bytes bcrypt would compare only a prefix; such a password was never accepted.
    return matches && passwordByteLength(password) <= MAX_PASSWORD_BYTES;
  }

  /** Spends the time of a real check and fails: for logins to accounts that do not exist. */
  async verifyAgainstDummy(password: string): Promise<false> {
    await bcrypt.compare(normalisePassword(password), await this.dummyHash);
    return false;
  }
}
