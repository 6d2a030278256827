import { pino, type DestinationStream } from 'pino';

const WARN = 40;

/** What pino tells a destination about each line when the destination asks for it. */
interface LineMetadata {
  lastLevel: number;
}

/**
 * stdout, written synchronously, one write per event-loop turn instead of one per line.
 *
 * Every request logs a line when it completes; at 50 connections a write per line cost
 * `GET /auth/me` about a third of its throughput (issue #3, measured side by side), most of it
 * in the system call. Lines of info and below wait for the end of the turn that made them
 * (`setImmediate`) and go out together. A warning or worse goes out at once, after whatever
 * waits before it, so a crash's last words and every problem are on stdout before the next
 * statement runs, as before; pending lines are also written on `exit`.
 *
 * What a SIGKILL can lose is the info lines of the turn it lands in: requests already answered.
 * The buffer never outlives a turn, so a stalled log reader blocks the writes as it did
 * before (pino's synchronous destination retries) instead of growing memory.
 */
export class TurnBatchedStdout implements DestinationStream, LineMetadata {
  readonly [pino.symbols.needsMetadataGsym] = true as const;
  lastLevel = 0;
  private pending: string[] = [];
  private readonly flushAtEndOfTurn = () => this.flush();

  constructor(private readonly out: DestinationStream = pino.destination({ dest: 1, sync: true })) {
    process.on('exit', this.flushAtEndOfTurn);
  }

  write(line: string): void {
    if (this.pending.push(line) === 1 && this.lastLevel < WARN) {
      setImmediate(this.flushAtEndOfTurn);
    }
    if (this.lastLevel >= WARN) this.flush();
  }

  /** Writes what waits, now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.out.write(text);
  }
}
