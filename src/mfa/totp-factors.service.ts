import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Not, type EntityManager, type Repository } from 'typeorm';
import { MfaFactor } from './entities/mfa-factor.entity.js';
import { SecretCipher } from '../platform/crypto/secret-cipher.js';
import { MfaAlreadyEnabledError, MfaNotEnabledError, MfaUnavailableError } from './mfa.errors.js';
import { matchingStep, newTotpSecret } from './totp.js';

const RESEAL_BATCH = 100;

/** A new unconfirmed secret, replacing an unconfirmed one; no row back when one is confirmed. */
const START_SETUP = `
INSERT INTO mfa_factors AS f (id, user_id, method, secret_ciphertext, secret_key_id)
VALUES ($1, $2, 'totp', $3, $4)
ON CONFLICT (user_id, method) DO UPDATE SET
  id = EXCLUDED.id, secret_ciphertext = EXCLUDED.secret_ciphertext,
  secret_key_id = EXCLUDED.secret_key_id, last_used_step = NULL
WHERE f.confirmed_at IS NULL
RETURNING f.id`;

/** TOTP factors: their sealed secrets, confirmation, and the one-use rule for codes. */
@Injectable()
export class TotpFactorsService {
  private readonly logger = new Logger(TotpFactorsService.name);

  constructor(
    @InjectRepository(MfaFactor) private readonly factors: Repository<MfaFactor>,
    private readonly cipher: SecretCipher,
  ) {}

  /** A confirmed TOTP factor: what makes login ask for a second step. */
  isEnrolled(userId: string, manager: EntityManager = this.factors.manager): Promise<boolean> {
    return manager.existsBy(MfaFactor, { userId, method: 'totp', confirmedAt: Not(IsNull()) });
  }

  findConfirmed(userId: string): Promise<MfaFactor | null> {
    return this.factors.findOneBy({ userId, method: 'totp', confirmedAt: Not(IsNull()) });
  }

  anyConfirmed(): Promise<boolean> {
    return this.factors.existsBy({ confirmedAt: Not(IsNull()) });
  }

  /**
   * A new secret, sealed, replacing an unconfirmed one; inactive until confirmed. Refused
   * while one is confirmed: a second setup must not silently swap the app (issue #20). The
   * upsert itself leaves a confirmed row alone, so a setup racing a confirm cannot undo it.
   */
  async startSetup(userId: string): Promise<Buffer> {
    if (this.cipher.currentKeyId === null) throw new MfaUnavailableError();
    if (await this.isEnrolled(userId)) throw new MfaAlreadyEnabledError();
    const secret = newTotpSecret();
    const { ciphertext, keyId } = this.cipher.seal(secret, userId);
    const written = await this.factors.query<unknown[]>(START_SETUP, [
      randomUUID(),
      userId,
      ciphertext,
      keyId,
    ]);
    if (written.length === 0) throw new MfaAlreadyEnabledError();
    return secret;
  }

  /**
   * Confirms a pending setup with a code from the app; false when the code is wrong. The row
   * is locked for the caller's transaction, so of two confirms (or a confirm and a new setup)
   * one waits for the other and finds the factor on: 409, its transaction rolled back.
   */
  async confirm(userId: string, code: string, manager: EntityManager): Promise<boolean> {
    const factor = await this.withSecret(manager, userId, 'any', true);
    if (!factor) throw new MfaNotEnabledError('Start with POST /auth/mfa/totp/setup.');
    if (factor.confirmedAt) throw new MfaAlreadyEnabledError();
    const step = matchingStep(this.open(factor), code);
    if (step === null) return false;
    const result = await manager.update(
      MfaFactor,
      { id: factor.id, confirmedAt: IsNull() },
      { confirmedAt: new Date(), lastUsedStep: String(step) },
    );
    if (result.affected !== 1) throw new MfaAlreadyEnabledError();
    return true;
  }

  /**
   * True for a right code of a time step later than any accepted before: the step is claimed
   * in one conditional UPDATE, so of two concurrent uses of one code only one passes, and a
   * code seen once (or an older one) never passes again (RFC 6238 §5.2).
   */
  async acceptCode(userId: string, code: string): Promise<boolean> {
    const factor = await this.withSecret(this.factors.manager, userId, 'confirmed');
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
    // What this statement removed, not what was there before: of two removals at once, the
    // second waits for the first and removes nothing (one mfa.disabled, issue #22 review).
    const [removed] = await manager.query<[{ confirmed: boolean }[], number]>(
      `DELETE FROM mfa_factors WHERE user_id = $1 RETURNING confirmed_at IS NOT NULL AS confirmed`,
      [userId],
    );
    return removed.some(({ confirmed }) => confirmed);
  }

  /**
   * Re-seals secrets under the current key after a rotation, run by `npm run mfa -- reseal`
   * once every instance has the new key (docs/security.md): never at start-up, where it
   * would leave instances still on the old key unable to read them. In batches, each row
   * updated only if its key id is still the one read, so concurrent runs agree.
   */
  async resealWithCurrentKey(batchSize = RESEAL_BATCH): Promise<number> {
    const current = this.cipher.currentKeyId;
    const readable = this.cipher.previousKeyIds;
    if (current === null || readable.length === 0) return 0;
    let resealed = 0;
    for (;;) {
      const stale = await this.factors.find({
        select: { id: true, userId: true, secretCiphertext: true, secretKeyId: true },
        where: { secretKeyId: In(readable) },
        order: { id: 'ASC' },
        take: batchSize,
      });
      for (const factor of stale) {
        const { ciphertext, keyId } = this.cipher.seal(this.open(factor), factor.userId);
        const result = await this.factors.update(
          { id: factor.id, secretKeyId: factor.secretKeyId },
          { secretCiphertext: ciphertext, secretKeyId: keyId },
        );
        resealed += result.affected ?? 0;
      }
      if (stale.length < batchSize) break;
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
    which: 'confirmed' | 'any',
    lock = false,
  ): Promise<MfaFactor | null> {
    const query = manager
      .createQueryBuilder(MfaFactor, 'factor')
      .addSelect('factor.secretCiphertext')
      .where('factor.userId = :userId AND factor.method = :method', { userId, method: 'totp' });
    if (which === 'confirmed') query.andWhere('factor.confirmedAt IS NOT NULL');
    if (lock) query.setLock('pessimistic_write');
    return query.getOne();
  }

  /**
   * A secret sealed under a key this instance lacks (a rotation done out of order): 503 and
   * a log line for the operator, never a 500.
   */
  private open(factor: MfaFactor): Buffer {
    if (!this.cipher.canOpen(factor.secretKeyId)) {
      this.logger.error({
        msg: 'TOTP secret sealed under a key this instance does not have (docs/security.md, key rotation)',
        key_id: factor.secretKeyId,
      });
      throw new MfaUnavailableError();
    }
    return this.cipher.open(
      { ciphertext: factor.secretCiphertext, keyId: factor.secretKeyId },
      factor.userId,
    );
  }
}
