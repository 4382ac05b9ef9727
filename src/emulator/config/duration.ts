import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../../shared/time';

// A duration here has no start date, so the calendar units get fixed lengths.
const YEAR_MS = 365 * DAY_MS;
const MONTH_MS = 30 * DAY_MS;
const WEEK_MS = 7 * DAY_MS;
const TICKS_PER_MS = 10_000n;
// Decimal places of a second that a tick (100 ns) holds.
const TICK_DIGITS = 7;

const ISO_DURATION = new RegExp(
  '^P(?:(\\d+)Y)?(?:(\\d+)M)?(?:(\\d+)W)?(?:(\\d+)D)?' +
    '(?:T(?:(\\d+)H)?(?:(\\d+)M)?(?:(\\d+(?:\\.\\d+)?)S)?)?$',
);

/**
 * Reads an ISO-8601 duration such as `PT1M`, `PT20S`, `P14D` or `P1DT2H30M`, in milliseconds.
 * Returns undefined for text that is not one (including a bare `P` or `PT`).
 */
export function parseIsoDuration(text: string): number | undefined {
  const ticks = isoDurationTicks(text);
  if (ticks === undefined) return undefined;
  // Rounded half up to a whole millisecond.
  return Number((ticks + TICKS_PER_MS / 2n) / TICKS_PER_MS);
}

/**
 * The same duration in .NET ticks (100 ns), exactly: milliseconds in a double cannot tell
 * `TimeSpan.MaxValue` from one tick more. Digits finer than a tick are dropped.
 */
export function isoDurationTicks(text: string): bigint | undefined {
  const match = ISO_DURATION.exec(text.trim());
  if (match === null || /^PT?$/.test(text.trim())) return undefined;

  const [, years, months, weeks, days, hours, minutes, seconds = '0'] = match;
  const part = (value: string | undefined, unitMs: number): bigint =>
    value === undefined ? 0n : BigInt(value) * BigInt(unitMs) * TICKS_PER_MS;
  const [wholeSeconds = '0', fraction = ''] = seconds.split('.');
  const fractionTicks = BigInt(fraction.slice(0, TICK_DIGITS).padEnd(TICK_DIGITS, '0'));

  return (
    part(years, YEAR_MS) +
    part(months, MONTH_MS) +
    part(weeks, WEEK_MS) +
    part(days, DAY_MS) +
    part(hours, HOUR_MS) +
    part(minutes, MINUTE_MS) +
    part(wholeSeconds, SECOND_MS) +
    fractionTicks
  );
}

/** "5 seconds", "1 minute", "7 days": for messages about limits. */
export function describeDuration(durationMs: number): string {
  const units: Array<[number, string]> = [
    [DAY_MS, 'day'],
    [HOUR_MS, 'hour'],
    [MINUTE_MS, 'minute'],
    [SECOND_MS, 'second'],
  ];
  for (const [unitMs, name] of units) {
    if (durationMs % unitMs === 0) {
      const count = durationMs / unitMs;
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  }
  return `${durationMs} ms`;
}
