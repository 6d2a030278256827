import type { SessionTokens } from './token-store.js';

/**
 * What one tab of the origin tells the others about the session they share. An end names the
 * generation it ended, so a pair of that generation or older arriving late is not taken back.
 */
export type SessionMessage =
  | { kind: 'tokens'; tokens: SessionTokens }
  /** A tab that knows a newer pair exists but did not get it asks whoever holds it. */
  | { kind: 'request-tokens'; generation: number }
  | { kind: 'ended'; generation: number }
  | { kind: 'logged-out'; generation: number };

/** How the tabs (and workers) of one origin take turns refreshing and share the result. */
export interface CrossTab {
  /** Runs `task` while no other tab of the origin runs one under the same name. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  publish(message: SessionMessage): void;
  /** Says this tab holds the pair of `generation`, until it marks a newer one. */
  mark(generation: number): Promise<void>;
  /** The newest generation a tab of the origin holds (0 when none says). */
  newest(): Promise<number>;
  close(): void;
}

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  request<T>(name: string, options: { mode: 'shared' }, callback: () => Promise<T>): Promise<T>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

/** One task at a time within this client, for where there are no Web Locks. */
function inTurn(): <T>(task: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (task) => {
    const next = last.then(task, task);
    last = next.catch(() => undefined);
    return next;
  };
}

/** Within one process only: a refresh and a logout still take turns. */
export function singleProcess(): CrossTab {
  return {
    exclusive: inTurn(),
    publish: () => undefined,
    mark: () => Promise.resolve(),
    newest: () => Promise.resolve(0),
    close: () => undefined,
  };
}

/**
 * Web Locks for the turn (every tab and worker of the origin), BroadcastChannel for the pair.
 * A message and a lock travel separately, so a tab may get the turn before the message with
 * the pair the previous holder got: each holder of a pair also holds a shared lock named after
 * its generation, and a tab whose turn comes while a newer generation exists waits for that
 * pair instead of spending a refresh token already spent.
 */
export function crossTab(name: string, onMessage: (message: SessionMessage) => void): CrossTab {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(name);
  if (channel) {
    channel.onmessage = (event: { data: unknown }) => onMessage(event.data as SessionMessage);
  }
  const prefix = `${name}:generation:`;
  const turn = inTurn();
  let marked = 0;
  let release: (() => void) | undefined;
  return {
    exclusive: (task) => (locks ? locks.request(name, task) : turn(task)),
    publish: (message) => channel?.postMessage(message),
    async mark(generation) {
      if (!locks || generation <= marked) return;
      marked = generation;
      const previous = release;
      await new Promise<void>((granted) => {
        void locks.request(`${prefix}${generation}`, { mode: 'shared' }, () => {
          granted();
          return new Promise<void>((done) => (release = done));
        });
      });
      previous?.();
    },
    async newest() {
      if (!locks) return 0;
      const { held = [] } = await locks.query();
      return Math.max(
        0,
        ...held
          .filter((lock) => lock.name?.startsWith(prefix))
          .map((lock) => Number(lock.name!.slice(prefix.length))),
      );
    },
    close() {
      release?.();
      channel?.close();
    },
  };
}
