export interface Revocation {
  id: string;
  revokedAt: Date;
}

/**
 * Sessions revoked within the last access-token lifetime. An entry expires when the last
 * access token its session could have issued does, which bounds the set.
 */
export class RevokedSessions {
  /** Session id -> when its last access token expires (ms since epoch). */
  private readonly until = new Map<string, number>();

  constructor(private readonly accessTtlMs: number) {}

  has(sessionId: string): boolean {
    const until = this.until.get(sessionId);
    return until !== undefined && until > Date.now();
  }

  remember(revocations: Revocation[]): void {
    for (const { id, revokedAt } of revocations) {
      this.until.set(id, Math.max(this.until.get(id) ?? 0, revokedAt.getTime() + this.accessTtlMs));
    }
  }

  forgetExpired(now = Date.now()): void {
    for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
  }

  /** From when a seed must load revocations to know every one that still matters. */
  seedSince(now = Date.now()): Date {
    return new Date(now - this.accessTtlMs);
  }
}
