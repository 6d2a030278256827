import { pino, type DestinationStream } from 'pino';
import { PINO_METADATA } from './pino-metadata.js';

const WARN = 40;
/**
 * PIPE_BUF on Linux: a write to a pipe up to this size is never split, so the workers of a
 * cluster, which share one stdout, never interleave their lines mid-line.
 */
const ATOMIC_PIPE_WRITE_BYTES = 4096;

/** What pino tells a destination about each line when the destination asks for it. */
interface LineMetadata {
  lastLevel: number;
}

/**
 * stdout, written synchronously, one write per event-loop turn instead of one per line.
 *
 * Every request logs a line when it completes; a write per line costs `GET /auth/me` dearly,
 * most of it in the system call (figures in docs/decisions/0012). Lines of info and below wait
 * for the end of the turn that made them (`setImmediate`) and go out together. A warning or worse goes out at once, after whatever
 * waits before it, so a crash's last words and every problem are on stdout before the next
 * statement runs, as before; pending lines are also written on `exit`.
 *
 * What a SIGKILL can lose is the info lines of the turn it lands in: requests already answered.
 * The buffer never outlives a turn, so a stalled log reader blocks the writes as it did
 * before (pino's synchronous destination retries) instead of growing memory.
 */
export class TurnBatchedStdout implements DestinationStream, LineMetadata {
  readonly [PINO_METADATA] = true as const;
  lastLevel = 0;
  private pending: string[] = [];
  private readonly flushPending = () => this.flush();

  constructor(private readonly out: DestinationStream = pino.destination({ dest: 1, sync: true })) {
    process.on('exit', this.flushPending);
  }

  write(line: string): void {
    this.pending.push(line);
    if (this.lastLevel >= WARN) this.flush();
    else if (this.pending.length === 1) setImmediate(this.flushPending);
  }

  /** Writes what waits, now, in writes of whole lines that a pipe takes atomically. */
  flush(): void {
    const lines = this.pending;
    if (lines.length === 0) return;
    this.pending = [];
    let chunk = '';
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (chunkBytes > 0 && chunkBytes + bytes > ATOMIC_PIPE_WRITE_BYTES) {
        this.out.write(chunk);
        chunk = '';
        chunkBytes = 0;
      }
      chunk += line;
      chunkBytes += bytes;
    }
    this.out.write(chunk);
  }
}
