import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../../shared/time';

// A duration here has no start date, so the calendar units get fixed lengths.
const YEAR_MS = 365 * DAY_MS;
const MONTH_MS = 30 * DAY_MS;
const WEEK_MS = 7 * DAY_MS;

const ISO_DURATION = new RegExp(
  '^P(?:(\\d+)Y)?(?:(\\d+)M)?(?:(\\d+)W)?(?:(\\d+)D)?' +
    '(?:T(?:(\\d+)H)?(?:(\\d+)M)?(?:(\\d+(?:\\.\\d+)?)S)?)?$',
);

/**
 * Reads an ISO-8601 duration such as `PT1M`, `PT20S`, `P14D` or `P1DT2H30M`, in milliseconds.
 * Returns undefined for text that is not one (including a bare `P` or `PT`).
 */
export function parseIsoDuration(text: string): number | undefined {
  const match = ISO_DURATION.exec(text.trim());
  if (match === null || /^PT?$/.test(text.trim())) return undefined;

  const [, years, months, weeks, days, hours, minutes, seconds] = match;
  const part = (value: string | undefined, unitMs: number): number =>
    value === undefined ? 0 : Number(value) * unitMs;

  return Math.round(
    part(years, YEAR_MS) +
      part(months, MONTH_MS) +
      part(weeks, WEEK_MS) +
      part(days, DAY_MS) +
      part(hours, HOUR_MS) +
      part(minutes, MINUTE_MS) +
      part(seconds, SECOND_MS),
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
