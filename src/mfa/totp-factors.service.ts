import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, type EntityManager, type Repository } from 'typeorm';
import { MfaFactor } from './entities/mfa-factor.entity.js';
import { SecretCipher } from './secret-cipher.js';
import { MfaAlreadyEnabledError, MfaNotEnabledError, MfaUnavailableError } from './mfa.errors.js';
import { matchingStep, newTotpSecret } from './totp.js';

/** TOTP factors: their sealed secrets, confirmation, and the one-use rule for codes. */
@Injectable()
export class TotpFactorsService {
  private readonly logger = new Logger(TotpFactorsService.name);

  constructor(
    @InjectRepository(MfaFactor) private readonly factors: Repository<MfaFactor>,
    private readonly cipher: SecretCipher,
  ) {}

  /** A confirmed TOTP factor: what makes login ask for a second step. */
  isEnrolled(userId: string): Promise<boolean> {
    return this.factors.existsBy({ userId, method: 'totp', confirmedAt: Not(IsNull()) });
  }

  findConfirmed(userId: string): Promise<MfaFactor | null> {
    return this.factors.findOneBy({ userId, method: 'totp', confirmedAt: Not(IsNull()) });
  }

  anyConfirmed(): Promise<boolean> {
    return this.factors.existsBy({ confirmedAt: Not(IsNull()) });
  }

  /**
   * A new secret, sealed, replacing an unconfirmed one; inactive until confirmed. Refused
   * while one is confirmed: a second setup must not silently swap the app (issue #20).
   */
  async startSetup(userId: string): Promise<Buffer> {
    if (this.cipher.currentKeyId === null) throw new MfaUnavailableError();
    if (await this.isEnrolled(userId)) throw new MfaAlreadyEnabledError();
    const secret = newTotpSecret();
    const { ciphertext, keyId } = this.cipher.seal(secret, userId);
    await this.factors.upsert(
      {
        id: randomUUID(),
        userId,
        method: 'totp',
        secretCiphertext: ciphertext,
        secretKeyId: keyId,
        confirmedAt: null,
        lastUsedStep: null,
      },
      { conflictPaths: ['userId', 'method'] },
    );
    return secret;
  }

  /** Confirms a pending setup with a code from the app; false when the code is wrong. */
  async confirm(userId: string, code: string, manager: EntityManager): Promise<boolean> {
    const factor = await this.withSecret(manager, userId, false);
    if (!factor) throw new MfaNotEnabledError('Start with POST /auth/mfa/totp/setup.');
    const step = matchingStep(this.open(factor), code);
    if (step === null) return false;
    await manager.update(
      MfaFactor,
      { id: factor.id, confirmedAt: IsNull() },
      { confirmedAt: new Date(), lastUsedStep: String(step) },
    );
    return true;
  }

  /**
   * True for a right code of a time step later than any accepted before: the step is claimed
   * in one conditional UPDATE, so of two concurrent uses of one code only one passes, and a
   * code seen once (or an older one) never passes again (RFC 6238 §5.2).
   */
  async acceptCode(userId: string, code: string): Promise<boolean> {
    const factor = await this.withSecret(this.factors.manager, userId, true);
    if (!factor) return false;
    const step = matchingStep(this.open(factor), code);
    if (step === null) return false;
    const claimed = await this.factors
      .createQueryBuilder()
      .update(MfaFactor)
      .set({ lastUsedStep: String(step) })
      .where('id = :id AND (last_used_step IS NULL OR last_used_step < :step)', {
        id: factor.id,
        step,
      })
      .execute();
    return claimed.affected === 1;
  }

  /** True when a confirmed factor was among those removed: two-step verification was on. */
  async remove(userId: string, manager: EntityManager = this.factors.manager): Promise<boolean> {
    const enrolled = await manager.existsBy(MfaFactor, { userId, confirmedAt: Not(IsNull()) });
    await manager.delete(MfaFactor, { userId });
    return enrolled;
  }

  /**
   * Re-seals secrets under the current key after a rotation (docs/security.md). Each row is
   * updated only if its key id is still the old one, so instances starting together agree.
   */
  async resealWithCurrentKey(): Promise<number> {
    const current = this.cipher.currentKeyId;
    if (current === null) return 0;
    const stale = await this.factors.find({
      select: { id: true, userId: true, secretCiphertext: true, secretKeyId: true },
      where: { secretKeyId: Not(current) },
    });
    let resealed = 0;
    for (const factor of stale) {
      if (!this.cipher.canOpen(factor.secretKeyId)) continue;
      const { ciphertext, keyId } = this.cipher.seal(this.open(factor), factor.userId);
      const result = await this.factors.update(
        { id: factor.id, secretKeyId: factor.secretKeyId },
        { secretCiphertext: ciphertext, secretKeyId: keyId },
      );
      resealed += result.affected ?? 0;
    }
    if (resealed > 0) this.logger.log({ msg: 'MFA secrets re-encrypted', count: resealed });
    return resealed;
  }

  /** Rows sealed under a key this process does not have: rotation went wrong. */
  async countUnreadable(): Promise<number> {
    const keyIds = await this.factors
      .createQueryBuilder('factor')
      .select('DISTINCT factor.secretKeyId', 'keyId')
      .getRawMany<{ keyId: string }>();
    const missing = keyIds.map(({ keyId }) => keyId).filter((id) => !this.cipher.canOpen(id));
    if (missing.length === 0) return 0;
    return this.factors.countBy(missing.map((secretKeyId) => ({ secretKeyId })));
  }

  private withSecret(
    manager: EntityManager,
    userId: string,
    confirmed: boolean,
  ): Promise<MfaFactor | null> {
    return manager
      .createQueryBuilder(MfaFactor, 'factor')
      .addSelect('factor.secretCiphertext')
      .where('factor.userId = :userId AND factor.method = :method', { userId, method: 'totp' })
      .andWhere(confirmed ? 'factor.confirmedAt IS NOT NULL' : 'factor.confirmedAt IS NULL')
      .getOne();
  }

  private open(factor: MfaFactor): Buffer {
    return this.cipher.open(
      { ciphertext: factor.secretCiphertext, keyId: factor.secretKeyId },
      factor.userId,
    );
  }
}
