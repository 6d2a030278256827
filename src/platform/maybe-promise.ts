/**
 * A value now, or a promise of it. On the per-request path (the guards every route runs) an
 * answer known from memory is handed back as it is: Nest 12 takes a guard's plain boolean
 * without a promise's turn, and each turn saved is measurable on `GET /auth/me` (issue #3).
 */
export type MaybePromise<T> = T | Promise<T>;

/** `next` applied to `value`: at once when it is here, else when its promise settles. */
export function whenReady<T, U>(value: MaybePromise<T>, next: (value: T) => U): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
