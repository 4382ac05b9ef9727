import { AppError, ensureError } from '../shared/errors';

/**
 * Tells apart the two things a session accept's `ServiceTimeout` can mean.
 *
 * `acceptNextSession` asks the broker to wait up to tryTimeout for a free session; Service Bus
 * answers "none" with a detach whose condition is `com.microsoft:timeout`. When the broker
 * stops answering (a frozen process, a network black hole) the SDK gives up by its own timers
 * instead: the `$cbs` put-token or rhea-promise's attach, each a fixed 60 s whatever tryTimeout
 * says. @azure/service-bus 7.9.5 maps both to a `ServiceBusError` with code `ServiceTimeout`,
 * the same name, fields and `retryable`; only the text differs (its fix of that text tests the
 * code it has already replaced, so it never applies), and Azure's wording is not the
 * emulator's. So the broker is asked instead: a probe of the entity (a session id no one uses,
 * free at once) that it answers within tryTimeout says the timeout was its answer.
 *
 * One check serves all of a function's session slots: a probe in flight is shared, and an
 * answer that came after an accept began covers that accept, so an idle function on a healthy
 * broker costs about one probe per accept timeout, however many slots it has.
 */
export class NoSessionCheck {
  /** When the broker last answered a probe (Date.now() time). */
  #answeredAtMs = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<Error | undefined> | undefined;

  /**
   * @param probe - resolves once the broker takes a receiver on the function's entity
   * @param boundMs - how long a probe may go unanswered: the function's tryTimeout
   */
  constructor(
    private readonly probe: () => Promise<void>,
    private readonly boundMs: number,
  ) {}

  /**
   * After an accept begun at `acceptStartedAtMs` timed out: undefined when the broker answers
   * (no session was free), else the failure to report: the probe's own error, or
   * `SessionAcceptStalled` when it got no answer within the bound. Never rejects. At `stop`
   * it resolves undefined at once: a stopping loop does not report.
   */
  async check(acceptStartedAtMs: number, stop: AbortSignal): Promise<Error | undefined> {
    if (this.#answeredAtMs > acceptStartedAtMs) return undefined;

    this.#inFlight ??= this.#probeOnce().finally(() => {
      this.#inFlight = undefined;
    });
    if (stop.aborted) return undefined;
    let onStop: (() => void) | undefined;
    const stopped = new Promise<undefined>((resolve) => {
      onStop = () => resolve(undefined);
      stop.addEventListener('abort', onStop, { once: true });
    });
    try {
      return await Promise.race([this.#inFlight, stopped]);
    } finally {
      if (onStop !== undefined) stop.removeEventListener('abort', onStop);
    }
  }

  async #probeOnce(): Promise<Error | undefined> {
    // A probe the broker answers late still ends by itself (it closes its receiver); its
    // failure then has no one left to tell.
    const probing = this.probe();
    probing.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const unanswered = new Promise<'unanswered'>((resolve) => {
      timer = setTimeout(() => resolve('unanswered'), this.boundMs);
    });

    try {
      const outcome = await Promise.race([probing, unanswered]);
      if (outcome === 'unanswered') return stalled(this.boundMs);
      this.#answeredAtMs = Date.now();
      return undefined;
    } catch (error) {
      return ensureError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function stalled(boundMs: number): AppError {
  return new AppError(
    'SessionAcceptStalled',
    'waiting for a session timed out and Service Bus did not answer a probe of the entity ' +
      `within ${boundMs} ms (it stopped answering)`,
    { retryable: true },
  );
}
