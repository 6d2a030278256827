import type { SessionTokens } from './token-store.js';

/** What one tab of the origin tells the others about the session they share. */
export type SessionMessage =
  { kind: 'tokens'; tokens: SessionTokens } | { kind: 'ended' } | { kind: 'logged-out' };

/** How the tabs (and workers) of one origin take turns refreshing and share the result. */
export interface CrossTab {
  /** Runs `task` while no other tab of the origin runs one under the same name. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  publish(message: SessionMessage): void;
  close(): void;
}

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** Within one process only: the in-process promise de-duplication is all there is. */
const SINGLE_PROCESS: CrossTab = {
  exclusive: (task) => task(),
  publish: () => undefined,
  close: () => undefined,
};

/**
 * Web Locks for the turn (every tab and worker of the origin, including a tab that froze and
 * resumed), BroadcastChannel for the result. Without Web Locks the tabs still share their
 * tokens, so a tab that starts a refresh after another's finished uses the new pair.
 */
export function crossTab(name: string, onMessage: (message: SessionMessage) => void): CrossTab {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  if (typeof BroadcastChannel === 'undefined') {
    return locks
      ? { ...SINGLE_PROCESS, exclusive: (task) => locks.request(name, task) }
      : SINGLE_PROCESS;
  }
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event: { data: unknown }) => onMessage(event.data as SessionMessage);
  return {
    exclusive: (task) => (locks ? locks.request(name, task) : task()),
    publish: (message) => channel.postMessage(message),
    close: () => channel.close(),
  };
}

export function singleProcess(): CrossTab {
  return SINGLE_PROCESS;
}
