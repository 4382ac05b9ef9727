import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../shared/time';

/**
 * Parses .NET `TimeSpan` text as host.json uses it: `[-][d.]hh:mm[:ss[.fffffff]]`, or a bare
 * number of days. Returns milliseconds (fractions below a millisecond are dropped), or
 * undefined when the text is not a TimeSpan.
 */
export function parseTimeSpanMs(text: string): number | undefined {
  const match = /^\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*$/.exec(
    text,
  );
  if (match === null) {
    const days = /^\s*(-)?(\d+)\s*$/.exec(text);
    if (days === null) return undefined;
    return (days[1] === '-' ? -1 : 1) * Number(days[2]) * DAY_MS;
  }

  const [, sign, days, hours, minutes, seconds, fraction] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds ?? 0) > 59) return undefined;

  const fractionMs = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * SECOND_MS);
  const totalMs =
    Number(days ?? 0) * DAY_MS +
    Number(hours) * HOUR_MS +
    Number(minutes) * MINUTE_MS +
    Number(seconds ?? 0) * SECOND_MS +
    fractionMs;
  return sign === '-' ? -totalMs : totalMs;
}

/**
 * .NET's `Timeout.InfiniteTimeSpan` is -1 ms, written `-00:00:00.0010000` in host.json; the
 * Service Bus extension accepts it for `maxAutoLockRenewalDuration`.
 */
export const INFINITE_TIME_SPAN_MS = -1;

/**
 * Whether the text holds a part below a millisecond (`01:00:00.0000001`), which
 * `parseTimeSpanMs` drops: a value that reads as a bound may lie past it by that part.
 */
export function hasSubMillisecondPart(text: string): boolean {
  return /:\d{1,2}\.\d{3}\d*[1-9]\s*$/.test(text);
}
