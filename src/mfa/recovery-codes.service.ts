import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type EntityManager, type Repository } from 'typeorm';
import { MfaRecoveryCode } from './entities/mfa-recovery-code.entity.js';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js';

/** Recovery codes: shown once, stored as hashes, each spent by one use. */
@Injectable()
export class RecoveryCodesService {
  constructor(
    @InjectRepository(MfaRecoveryCode) private readonly codes: Repository<MfaRecoveryCode>,
  ) {}

  /** A fresh set replacing every earlier code; only the caller ever sees them in clear. */
  async replace(userId: string, manager: EntityManager): Promise<string[]> {
    const codes = newRecoveryCodes();
    await manager.delete(MfaRecoveryCode, { userId });
    await manager.insert(
      MfaRecoveryCode,
      codes.map((code) => ({ codeHash: hashRecoveryCode(code), userId, usedAt: null })),
    );
    return codes;
  }

  /** Spends the code if it is one of the user's unused ones; one UPDATE, so only once. */
  async spend(userId: string, typed: string): Promise<boolean> {
    const result = await this.codes.update(
      { codeHash: hashRecoveryCode(typed), userId, usedAt: IsNull() },
      { usedAt: new Date() },
    );
    return result.affected === 1;
  }

  remaining(userId: string, manager: EntityManager = this.codes.manager): Promise<number> {
    return manager.countBy(MfaRecoveryCode, { userId, usedAt: IsNull() });
  }

  async remove(userId: string, manager: EntityManager = this.codes.manager): Promise<void> {
    await manager.delete(MfaRecoveryCode, { userId });
  }
}
