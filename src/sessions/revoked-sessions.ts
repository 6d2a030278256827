import { CLOCK_SKEW_SECONDS } from '../tokens/access-token.js';

export interface Revocation {
  id: string;
  revokedAt: Date;
}

/** How often expired entries are swept out, at the latest; a sweep walks the whole set. */
const SWEEP_EVERY_MS = 60_000;
/** A revocation is dated by the revoking instance's clock, a token by the issuing one's. */
const CLOCK_SKEW_MS = CLOCK_SKEW_SECONDS * 1000;

/**
 * Sessions revoked within the last access-token lifetime, as this instance is configured. An
 * entry expires when the last access token its session could have issued under that lifetime
 * does, and is swept out while new ones arrive, which bounds the set by the revocations of one
 * lifetime (plus a minute), whatever else runs.
 *
 * So memory can answer only for tokens issued within that lifetime (`covers`). A token issued
 * earlier is still alive only if it was issued under a longer lifetime (before a restart with
 * a shorter ACCESS_TOKEN_EXPIRE_MINUTES, or by another instance), and its session's revocation
 * may be forgotten already: the database must answer for it (issue #18).
 */
export class RevokedSessions {
  /** Session id -> when its last access token expires (ms since epoch). */
  private readonly until = new Map<string, number>();
  private nextSweepAt = 0;

  constructor(private readonly accessTtlMs: number) {}

  get size(): number {
    return this.until.size;
  }

  has(sessionId: string): boolean {
    const until = this.until.get(sessionId);
    return until !== undefined && until > Date.now();
  }

  /**
   * Whether every revocation that could concern a token issued at `issuedAtMs` is known here.
   * Its session was live when it was issued, so it was revoked after (give or take the clocks'
   * skew), and is remembered for a lifetime (plus that skew) after that.
   */
  covers(issuedAtMs: number, now = Date.now()): boolean {
    return issuedAtMs > now - this.accessTtlMs;
  }

  remember(revocations: Revocation[], now = Date.now()): void {
    if (now >= this.nextSweepAt) {
      this.forgetExpired(now);
      this.nextSweepAt = now + SWEEP_EVERY_MS;
    }
    const keptFor = this.accessTtlMs + CLOCK_SKEW_MS;
    for (const { id, revokedAt } of revocations) {
      this.until.set(id, Math.max(this.until.get(id) ?? 0, revokedAt.getTime() + keptFor));
    }
  }

  private forgetExpired(now: number): void {
    for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
  }

  /** From when a seed must load revocations to know every one that still matters. */
  seedSince(now = Date.now()): Date {
    return new Date(now - this.accessTtlMs - CLOCK_SKEW_MS);
  }
}
