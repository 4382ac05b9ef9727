import type { Logger } from '../shared/logger';
import { MINUTE_MS, SECOND_MS } from '../shared/time';

/**
 * A stretch this long is reported. Lock renewal is due 10 s before a lock expires, or halfway
 * through a lock of under 20 s: with Service Bus's shortest lock (5 s) only 2.5 s are left
 * when the renewal is due, and a second already takes 40 % of that, delays every function
 * timeout by as much and makes settlements wait. Shorter stalls (a garbage collection, a large
 * body parsed) are routine and would bury the line that matters.
 */
const BLOCKED_THRESHOLD_MS = SECOND_MS;
/** The watch's own timer: its lateness is the stretch's length, to within this period. */
const TICK_MS = 100;
/** After a warning, further stretches within this time are counted into one summary line. */
const QUIET_MS = MINUTE_MS;

interface EventLoopWatchOptions {
  logger: Logger;
  /** The most invocations in flight at once since the previous call (see Dispatcher). */
  takeInvocationsPeak(): number;
  /** Seams for tests; the defaults are the constants above. */
  thresholdMs?: number;
  quietMs?: number;
}

/**
 * Watches for stretches in which the event loop could not run anything: a handler doing
 * synchronous CPU work (or other code of the process). Lock renewals, function timeouts and
 * settlements of every invocation are timers and I/O on this same loop, so they all wait for
 * it; in Azure the host does that work in its own process. One warning per stretch, at most
 * one line a minute: stretches that follow within the minute are summed up in one line.
 */
export class EventLoopWatch {
  readonly #timer: NodeJS.Timeout;
  readonly #thresholdMs: number;
  readonly #quietMs: number;
  #lastTickMs = performance.now();
  /** Until then, stretches are counted into `#pending` rather than logged one by one. */
  #quietUntilMs = 0;
  #pending = { stretches: 0, longestMs: 0, totalMs: 0, inFlight: 0 };

  constructor(private readonly options: EventLoopWatchOptions) {
    this.#thresholdMs = options.thresholdMs ?? BLOCKED_THRESHOLD_MS;
    this.#quietMs = options.quietMs ?? QUIET_MS;
    // Unref'd: the watch never keeps a worker alive that has nothing else to do.
    this.#timer = setInterval(() => this.#tick(), TICK_MS).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const nowMs = performance.now();
    // How late this timer ran: the loop was blocked at least this long, at most TICK_MS more.
    const blockedMs = Math.round(nowMs - this.#lastTickMs - TICK_MS);
    this.#lastTickMs = nowMs;
    // Read on every tick, so that the peak covers only the time since the previous one.
    const inFlight = this.options.takeInvocationsPeak();

    if (blockedMs >= this.#thresholdMs) this.#onStretch(nowMs, blockedMs, inFlight);
    if (this.#pending.stretches > 0 && nowMs >= this.#quietUntilMs) this.#logPending(nowMs);
  }

  #onStretch(nowMs: number, blockedMs: number, inFlight: number): void {
    if (nowMs >= this.#quietUntilMs && this.#pending.stretches === 0) {
      this.#quietUntilMs = nowMs + this.#quietMs;
      this.options.logger.warn(
        `The event loop was blocked for ${blockedMs} ms (synchronous work, usually a ` +
          "handler's): lock renewals, function timeouts and settlements of the " +
          `${inFlight} invocation(s) in flight waited meanwhile, and a lock can be lost. ` +
          'Move CPU-heavy work to worker_threads or a child process',
        { code: 'EventLoopBlocked', blockedMs, inFlight },
      );
      return;
    }

    const pending = this.#pending;
    pending.stretches += 1;
    pending.longestMs = Math.max(pending.longestMs, blockedMs);
    pending.totalMs += blockedMs;
    pending.inFlight = Math.max(pending.inFlight, inFlight);
  }

  #logPending(nowMs: number): void {
    const { stretches, longestMs, totalMs, inFlight } = this.#pending;
    this.#quietUntilMs = nowMs + this.#quietMs;
    this.#pending = { stretches: 0, longestMs: 0, totalMs: 0, inFlight: 0 };
    this.options.logger.warn(
      `The event loop was blocked ${stretches} more time(s) since the last such warning ` +
        `(longest ${longestMs} ms, ${totalMs} ms in all): lock renewals, function timeouts ` +
        'and settlements waited each time. Move CPU-heavy work to worker_threads or a child ' +
        'process',
      {
        code: 'EventLoopBlocked',
        stretches,
        blockedMs: totalMs,
        longestBlockedMs: longestMs,
        inFlight,
      },
    );
  }
}
