import { constants as osConstants } from 'node:os';

import { writeErr } from './commandSupport';
import { SIGNAL_ANSWER_GRACE_MS } from './waitBounds';

export interface Interruption {
  readonly signal: AbortSignal;
  /**
   * Aborts `SIGNAL_ANSWER_GRACE_MS` after the first signal: a request still unanswered then
   * (a broker that stopped answering) is waited for no longer.
   */
  readonly stopWaiting: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** 128 + the signal's number, as a shell reports a process ended by it (130 for SIGINT). */
  exitCode(): number;
  dispose(): void;
}

export interface StopOptions {
  /** What the first signal leads to, for its line on stderr: "after the batch in flight". */
  stopsAfter: string;
  /**
   * Why the first signal stops the command at once instead, when nothing is in hand yet
   * ("no letter is locked yet"); undefined while there is work in hand.
   */
  nothingInHand?: () => string | undefined;
  /**
   * Called on the second signal, just before the process exits: says what the forced stop
   * leaves behind (work sent but not acknowledged or not settled), which no summary would.
   */
  onForcedStop: (signal: NodeJS.Signals) => void;
}

/**
 * Ctrl+C (or SIGTERM) during a bulk command: the first one lets the work in hand finish, so the
 * summary can say exactly how far the command got; a second one exits at once, after
 * `onForcedStop` has said what was in flight.
 */
export function stopOnSignal(options: StopOptions): Interruption {
  const controller = new AbortController();
  const waiting = new AbortController();
  let received: NodeJS.Signals | undefined;
  const exitCode = (): number => 128 + (received === undefined ? 2 : osConstants.signals[received]);

  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) forcedStop(signal, options, exitCode());
    received = signal;
    const idle = options.nothingInHand?.();
    writeErr(
      idle === undefined
        ? `${signal}: stopping ${options.stopsAfter} (again to stop at once)\n`
        : `${signal}: stopping at once (${idle})\n`,
    );
    controller.abort();
    setTimeout(() => waiting.abort(), SIGNAL_ANSWER_GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    stopWaiting: waiting.signal,
    received: () => received,
    exitCode,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Until a bulk command has work in hand (its input is still being read and checked, or its
 * connection opened), a signal ends it at once, with a line that says so: Node's default would
 * end it without a word. A signal that comes while the input is read synchronously is handled
 * once the reading is done.
 * @param line What the stop leaves behind: "stopped before sending: nothing was sent".
 * @returns Stops listening; call it before the command's own handler takes over.
 */
export function exitAtOnceOnSignal(line: string): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    writeErr(`${signal}: ${line}\n`);
    process.exit(128 + osConstants.signals[signal]);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

function forcedStop(signal: NodeJS.Signals, options: StopOptions, exitCode: number): never {
  try {
    options.onForcedStop(signal);
  } catch (error) {
    // The exit must happen whatever the report did; the operator asked for it twice.
    writeErr(`${signal}: could not report what was in flight (${String(error)})\n`);
  }
  process.exit(exitCode);
}
