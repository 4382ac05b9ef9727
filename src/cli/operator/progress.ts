import { SingleBar } from 'cli-progress';

/** Reports how far a bulk operation got: a bar on a terminal, plain lines otherwise. */
export interface Progress {
  advance(count: number): void;
  finish(): void;
}

export interface ProgressOptions {
  /** What is being counted, as a past-tense verb phrase: "sent", "replayed". */
  verb: string;
  total: number;
  /** Defaults to stderr, so stdout stays clean for results. */
  stream?: NodeJS.WriteStream;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  return stream.isTTY ? barProgress(options, stream) : lineProgress(options, stream);
}

function barProgress(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar({
    stream,
    format: `${options.verb} {bar} {value}/{total} messages ({percentage}%)`,
    hideCursor: true,
  });
  bar.start(options.total, 0);
  return {
    advance: (count) => bar.increment(count),
    finish: () => bar.stop(),
  };
}

function lineProgress(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  let done = 0;
  return {
    advance(count) {
      // A batch that moved nothing (letters skipped by a selective replay) is no news.
      if (count === 0) return;
      done += count;
      stream.write(`${options.verb} ${done}/${options.total} messages\n`);
    },
    finish() {
      // The last advance already said it all.
    },
  };
}
