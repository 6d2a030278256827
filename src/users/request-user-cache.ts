import type { User } from './entities/user.entity.js';

/**
 * About 1 KB a cached user (entity and its formatted dates, measured): some 20 MB when full,
 * which the 160 MB heap of `start:prod` affords beside everything else. The oldest goes first;
 * a user not in memory costs one query.
 */
const CACHE_LIMIT = 20_000;

/**
 * The users of recent bearer requests (UsersService decides when it may be used: while the
 * change feed is live). Two rules keep a change from costing more than one read:
 *
 * - concurrent requests for a user not in memory share one load (after a change, every
 *   connection of a busy client asked the database at once);
 * - the poll's window overlaps the last one (late commits), so it sees a change several times:
 *   each change (id, updated_at) is acted on once. Acting on every sighting evicted a user
 *   who had just logged in at every poll for ten seconds.
 */
export class RequestUserCache {
  private readonly users = new Map<string, User>();
  private readonly loading = new Map<string, Promise<User | null>>();
  /** Bumped by every eviction, so a load that raced one is not kept. */
  private generation = 0;
  /** Changes the poll has acted on (id → updated_at, ms), pruned once older than its window. */
  private readonly polledChanges = new Map<string, number>();

  get(id: string): User | undefined {
    return this.users.get(id);
  }

  /**
   * One load per user at a time, kept unless the user was evicted meanwhile or `keep` no
   * longer holds. A request after an eviction never joins a load begun before it.
   */
  load(
    id: string,
    read: (id: string) => Promise<User | null>,
    keep: () => boolean,
  ): Promise<User | null> {
    const inFlight = this.loading.get(id);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const pending: Promise<User | null> = read(id)
      .then((user) => {
        if (user && generation === this.generation && keep()) this.remember(user);
        return user;
      })
      .finally(() => {
        if (this.loading.get(id) === pending) this.loading.delete(id);
      });
    this.loading.set(id, pending);
    return pending;
  }

  evict(...ids: string[]): void {
    this.generation += 1;
    for (const id of ids) {
      this.users.delete(id);
      this.loading.delete(id);
    }
  }

  evictAll(): void {
    this.generation += 1;
    this.users.clear();
    this.loading.clear();
  }

  /** The poll's rows changed since `since`: those not acted on before are evicted. */
  evictPolled(changed: readonly { id: string; updatedAt: Date }[], since: Date): void {
    const fresh: string[] = [];
    for (const { id, updatedAt } of changed) {
      const at = updatedAt.getTime();
      if (this.polledChanges.get(id) === at) continue;
      this.polledChanges.set(id, at);
      fresh.push(id);
    }
    for (const [id, at] of this.polledChanges)
      if (at < since.getTime()) this.polledChanges.delete(id);
    if (fresh.length > 0) this.evict(...fresh);
  }

  private remember(user: User): void {
    if (this.users.size >= CACHE_LIMIT) this.users.delete(this.users.keys().next().value!);
    this.users.set(user.id, user);
  }
}
