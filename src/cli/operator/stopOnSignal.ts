import { constants as osConstants } from 'node:os';

import { writeErr } from './commandSupport';

export interface Interruption {
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** 128 + the signal's number, as a shell reports a process ended by it (130 for SIGINT). */
  exitCode(): number;
  dispose(): void;
}

/**
 * Ctrl+C (or SIGTERM) during a replay: the first one lets the batch in hand finish, so the
 * summary can say exactly how far the replay got; a second one exits at once, which is safe too,
 * because a letter leaves the dead-letter queue only after its copy was sent.
 */
export function stopOnSignal(): Interruption {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const exitCode = (): number => 128 + (received === undefined ? 2 : osConstants.signals[received]);

  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) process.exit(exitCode());
    received = signal;
    writeErr(`${signal}: stopping after the letters in hand (again to stop at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    exitCode,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
