export interface Revocation {
  id: string;
  revokedAt: Date;
}

/** How often expired entries are swept out, at the latest; a sweep walks the whole set. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Sessions revoked within the last access-token lifetime. An entry expires when the last
 * access token its session could have issued does, and is swept out while new ones arrive,
 * which bounds the set by the revocations of one lifetime (plus a minute), whatever else runs.
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

  remember(revocations: Revocation[], now = Date.now()): void {
    if (now >= this.nextSweepAt) {
      this.forgetExpired(now);
      this.nextSweepAt = now + SWEEP_EVERY_MS;
    }
    for (const { id, revokedAt } of revocations) {
      this.until.set(id, Math.max(this.until.get(id) ?? 0, revokedAt.getTime() + this.accessTtlMs));
    }
  }

  private forgetExpired(now: number): void {
    for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
  }

  /** From when a seed must load revocations to know every one that still matters. */
  seedSince(now = Date.now()): Date {
    return new Date(now - this.accessTtlMs);
  }
}
