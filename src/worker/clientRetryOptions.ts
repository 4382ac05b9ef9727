import { ConfigError } from '../shared/errors';
import { type ConfigTree, describe, get, readHostInteger } from '../shared/hostJsonTree';
import { HOUR_MS, MAX_TIMER_MS, MINUTE_MS } from '../shared/time';
import { hasSubMillisecondPart, parseTimeSpanMs } from './timeSpan';

/** `extensions.serviceBus.clientRetryOptions`, durations in milliseconds. */
export interface ClientRetrySettings {
  mode: 'exponential' | 'fixed';
  tryTimeoutMs: number;
  delayMs: number;
  maxDelayMs: number;
  maxRetries: number;
}

/** A duration's allowed range, how an error states it (after "must be"), and why if unclear. */
interface DurationRange {
  minMs: number;
  maxMs: number;
  text: string;
  note?: string;
}

// The host builds Azure.Messaging.ServiceBus `ServiceBusRetryOptions` from these keys, whose
// setters refuse a value out of these ranges at start-up (ServiceBusRetryOptions.cs in
// azure-sdk-for-net): MaxRetries 0 to 100, Delay 1 ms to 5 min, MaxDelay not negative.
const MAX_RETRIES = 100;
const DELAY_RANGE: DurationRange = {
  minMs: 1,
  maxMs: 5 * MINUTE_MS,
  text: 'from 00:00:00.001 to 00:05:00',
};
const MAX_DELAY_RANGE: DurationRange = { minMs: 0, maxMs: Infinity, text: '00:00:00 or more' };
// TryTimeout is 0 to 1 h for the host, but the JavaScript SDK refuses a `timeoutInMs` of 0
// when the worker builds its client: the worker could not start with it.
const TRY_TIMEOUT_RANGE: DurationRange = {
  minMs: 1,
  maxMs: HOUR_MS,
  text: 'from 00:00:00.001 to 01:00:00',
  note: 'the host also takes 00:00:00, but the JavaScript Service Bus SDK needs at least 1 ms',
};

/**
 * Reads `clientRetryOptions` under `base` with the host's defaults, refusing what the host's
 * Service Bus client refuses (and a try timeout of 0, which the JavaScript SDK refuses).
 *
 * @throws ConfigError (`InvalidConfiguration`) naming the key and its allowed range.
 */
export function readClientRetry(tree: ConfigTree, base: string): ClientRetrySettings {
  const mode = get(tree, `${base}.mode`) ?? 'exponential';
  if (typeof mode !== 'string' || !/^(exponential|fixed)$/i.test(mode)) {
    throw new ConfigError(`${describe(tree, `${base}.mode`)} must be "exponential" or "fixed"`);
  }

  return {
    mode: mode.toLowerCase() as ClientRetrySettings['mode'],
    tryTimeoutMs: readRetryDuration(tree, `${base}.tryTimeout`, MINUTE_MS, TRY_TIMEOUT_RANGE),
    delayMs: readRetryDuration(tree, `${base}.delay`, 800, DELAY_RANGE),
    maxDelayMs: readRetryDuration(tree, `${base}.maxDelay`, MINUTE_MS, MAX_DELAY_RANGE),
    maxRetries: readHostInteger(tree, [`${base}.maxRetries`], 3, 0, MAX_RETRIES),
  };
}

function readRetryDuration(
  tree: ConfigTree,
  path: string,
  fallbackMs: number,
  range: DurationRange,
): number {
  const raw = get(tree, path);
  if (raw === undefined || raw === null) return fallbackMs;

  const valueMs = typeof raw === 'string' ? parseTimeSpanMs(raw) : undefined;
  if (valueMs === undefined) {
    throw new ConfigError(
      `${describe(tree, path)} must be a TimeSpan such as "00:00:01" (got ${JSON.stringify(raw)})`,
    );
  }

  const pastMax =
    valueMs > range.maxMs || (valueMs === range.maxMs && hasSubMillisecondPart(String(raw)));
  if (valueMs < range.minMs || pastMax) {
    throw new ConfigError(
      `${describe(tree, path)} must be ${range.text} (got ${JSON.stringify(raw)})` +
        (range.note === undefined ? '' : `; ${range.note}`),
    );
  }
  return Math.min(valueMs, MAX_TIMER_MS);
}
