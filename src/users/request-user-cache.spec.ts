import { describe, expect, it } from 'vitest';
import type { User } from './entities/user.entity.js';
import { RequestUserCache } from './request-user-cache.js';

const userWith = (id: string, username = 'someone') => ({ id, username }) as User;

/** A read the test finishes when it likes, counting how many were started. */
function controlledReads() {
  const started: { id: string; finish: (user: User | null) => void }[] = [];
  const read = (id: string) => new Promise<User | null>((finish) => started.push({ id, finish }));
  return { started, read };
}

describe('RequestUserCache', () => {
  it('shares one read among concurrent requests for a user not in memory, and keeps it', async () => {
    const cache = new RequestUserCache();
    const { started, read } = controlledReads();
    const loads = Array.from({ length: 50 }, () => cache.load('u1', read, () => true));
    expect(started).toHaveLength(1);
    started[0]!.finish(userWith('u1'));
    const users = await Promise.all(loads);
    expect(new Set(users)).toEqual(new Set([userWith('u1')]));
    expect(cache.get('u1')).toEqual(userWith('u1'));
  });

  it('never lets a request after an eviction join, or a load begun before it fill, the cache', async () => {
    const cache = new RequestUserCache();
    const { started, read } = controlledReads();
    const before = cache.load('u1', read, () => true);
    cache.evict('u1'); // the user changed while the first read was in flight
    const after = cache.load('u1', read, () => true);
    expect(started).toHaveLength(2);

    started[0]!.finish(userWith('u1', 'old name'));
    await before;
    expect(cache.get('u1')).toBeUndefined();
    started[1]!.finish(userWith('u1', 'new name'));
    expect((await after)?.username).toBe('new name');
    expect(cache.get('u1')?.username).toBe('new name');
  });

  it('keeps nothing when `keep` says no (the change feed went down meanwhile)', async () => {
    const cache = new RequestUserCache();
    await cache.load(
      'u1',
      () => Promise.resolve(userWith('u1')),
      () => false,
    );
    expect(cache.get('u1')).toBeUndefined();
  });

  it('acts once on each change the overlapping polls see, and again on a newer one', async () => {
    const cache = new RequestUserCache();
    const fill = () =>
      cache.load(
        'u1',
        () => Promise.resolve(userWith('u1')),
        () => true,
      );
    const loggedInAt = new Date('2026-12-02T10:00:00Z');
    await fill();

    cache.evictPolled([{ id: 'u1', updatedAt: loggedInAt }], new Date('2026-12-02T09:59:51Z'));
    expect(cache.get('u1')).toBeUndefined();
    await fill();
    // The next nine polls overlap the first and see the same change: the user stays.
    for (let second = 52; second <= 60; second += 1) {
      const since = new Date(`2026-12-02T09:59:${second}Z`);
      cache.evictPolled([{ id: 'u1', updatedAt: loggedInAt }], since);
      expect(cache.get('u1')).toBeDefined();
    }
    cache.evictPolled(
      [{ id: 'u1', updatedAt: new Date('2026-12-02T10:00:05Z') }],
      new Date('2026-12-02T09:59:56Z'),
    );
    expect(cache.get('u1')).toBeUndefined();
  });

  it('remembers a change only while the poll window can still see it', async () => {
    const cache = new RequestUserCache();
    const changedAt = new Date('2026-12-02T10:00:00Z');
    cache.evictPolled([{ id: 'u1', updatedAt: changedAt }], new Date('2026-12-02T09:59:51Z'));
    cache.evictPolled([], new Date('2026-12-02T10:00:01Z'));
    await cache.load(
      'u1',
      () => Promise.resolve(userWith('u1')),
      () => true,
    );
    cache.evictPolled([{ id: 'u1', updatedAt: changedAt }], new Date('2026-12-02T09:59:59Z'));
    expect(cache.get('u1')).toBeUndefined();
  });
});
