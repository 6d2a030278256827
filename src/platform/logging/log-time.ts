let secondShown = Number.NaN;
let secondText = '';

/**
 * The `time` field of a log line, as pino's `isoTime` writes it. That one formats a Date for
 * every line, and V8 formats through printf (about 2 µs, issue #3); the text up to the second
 * changes once a second, so only the milliseconds are new.
 */
export function isoTimeField(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== secondShown) {
    secondShown = second;
    // "2026-11-25T04:12:36." of "2026-11-25T04:12:36.000Z"
    secondText = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const ms = now - second * 1000;
  return `,"time":"${secondText}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}
