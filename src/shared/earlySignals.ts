/**
 * A process that drains on SIGTERM needs a second or so to load its modules before it can
 * listen for the signal; a SIGTERM in that time (a deploy right after a restart) would kill it
 * half-way with Node's default action. Holding the signals from the first lines of the entry
 * point keeps them for the handler that is installed once the modules are loaded.
 */

const HELD_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

const received: NodeJS.Signals[] = [];
let holding = false;

function remember(signal: NodeJS.Signals): void {
  received.push(signal);
}

/** Starts holding SIGTERM and SIGINT; they no longer end the process by themselves. */
export function holdEarlySignals(): void {
  if (holding) return;
  holding = true;
  for (const signal of HELD_SIGNALS) process.on(signal, remember);
}

/**
 * Stops holding and returns the signals received meanwhile, oldest first. Call it after the
 * real handlers are installed, so that no signal falls between the two.
 */
export function takeEarlySignals(): NodeJS.Signals[] {
  if (!holding) return [];
  holding = false;
  for (const signal of HELD_SIGNALS) process.off(signal, remember);
  return received.splice(0);
}
