/**
 * Standard output for JSON log lines, written once per turn of the event loop rather than once
 * per line. On Linux, process.stdout writes to a pipe or a file synchronously, one system call
 * per write: at a few thousand invocations a second, the worker spent about an eighth of its
 * CPU in those calls. Lines keep their order; what is pending is written before the process
 * exits, and before anything else the process writes to stdout through `flushLogLines`.
 */
export interface LineDestination {
  write(text: string): boolean;
}

let shared: TurnBatchedWriter | undefined;

/** The one batched writer over process.stdout, shared by every logger of the process. */
export function batchedStdout(): LineDestination {
  if (shared === undefined) {
    const writer = new TurnBatchedWriter((text) => process.stdout.write(text));
    // 'exit' handlers run synchronously, and stdout writes to pipes and files are synchronous
    // on Linux, so the last lines of a process.exit() or an uncaught error still get out.
    process.on('exit', () => writer.flush());
    shared = writer;
  }
  return shared;
}

/** Writes the pending log lines now: call before writing to stdout directly. */
export function flushLogLines(): void {
  shared?.flush();
}

export class TurnBatchedWriter implements LineDestination {
  readonly #writeOut: (text: string) => unknown;
  #pending: string[] = [];
  #scheduled = false;

  constructor(writeOut: (text: string) => unknown) {
    this.#writeOut = writeOut;
  }

  write(text: string): boolean {
    this.#pending.push(text);

    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;

    const text = this.#pending.join('');
    this.#pending = [];
    this.#writeOut(text);
  }
}
