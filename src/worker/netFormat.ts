/**
 * Text forms that values take on their way through the .NET host (Json.NET defaults and
 * invariant-culture `ToString`), so that the Node handler sees what it would see in Azure.
 */

/** DateTimeOffset.MaxValue / DateTime.MaxValue as Json.NET writes them (without the suffix). */
const NET_MAX_DATE_TEXT = '9999-12-31T23:59:59.9999999';

/**
 * Json.NET's default date format `yyyy-MM-ddTHH:mm:ss.FFFFFFFK`: fraction digits without
 * trailing zeros, and `K` as '' (Unspecified kind), 'Z' (Utc) or '+00:00' (DateTimeOffset).
 * Dates past what .NET can hold are written as MaxValue.
 */
export function formatNetDate(date: Date, suffix: '' | 'Z' | '+00:00'): string {
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999)
    return NET_MAX_DATE_TEXT + suffix;

  const iso = date.toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ for years 0-9999
  const whole = iso.slice(0, 19);
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${whole}${fraction === '' ? '' : `.${fraction}`}${suffix}`;
}

/** .NET ticks (100 ns) per second, and from 0001-01-01 to 1970-01-01. */
const TICKS_PER_SECOND = 10_000_000n;
const UNIX_EPOCH_SECONDS = 62_135_596_800n;
/** `DateTime.MaxValue.Ticks`: a DateTime holds no later time. */
const MAX_DATE_TICKS = 3_155_378_975_999_999_999n;

/**
 * A UTC DateTimeOffset given in .NET ticks, as Json.NET writes it: `yyyy-MM-ddTHH:mm:ss`, up to
 * seven fraction digits without trailing zeros, `+00:00`. Undefined for ticks outside what a
 * DateTime holds (where .NET throws instead of making one).
 */
export function formatNetTicksDate(ticks: bigint): string | undefined {
  if (ticks < 0n || ticks > MAX_DATE_TICKS) return undefined;

  const seconds = ticks / TICKS_PER_SECOND - UNIX_EPOCH_SECONDS;
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const fraction = fractionDigits(ticks % TICKS_PER_SECOND).replace(/0+$/, '');
  return `${whole}${fraction === '' ? '' : `.${fraction}`}+00:00`;
}

/**
 * A TimeSpan given in ticks, as Json.NET writes it (its invariant `ToString()`, the "c" format):
 * `[-][d.]hh:mm:ss[.fffffff]`, the fraction always seven digits when there is one.
 */
export function formatNetTimeSpan(ticks: bigint): string {
  const sign = ticks < 0n ? '-' : '';
  const size = ticks < 0n ? -ticks : ticks;
  const totalSeconds = size / TICKS_PER_SECOND;
  const days = totalSeconds / 86_400n;
  const pad = (n: bigint): string => n.toString().padStart(2, '0');
  const clock =
    `${pad((totalSeconds / 3600n) % 24n)}:${pad((totalSeconds / 60n) % 60n)}:` +
    pad(totalSeconds % 60n);
  const fraction = size % TICKS_PER_SECOND;
  return (
    `${sign}${days === 0n ? '' : `${days}.`}${clock}` +
    (fraction === 0n ? '' : `.${fractionDigits(fraction)}`)
  );
}

function fractionDigits(ticks: bigint): string {
  return ticks.toString().padStart(7, '0');
}

/**
 * `(string)JValue` for a JSON scalar, as the host's binding-data merge produces it:
 * numbers in invariant culture, booleans as True/False, ISO date strings reparsed to
 * `MM/dd/yyyy HH:mm:ss` (Json.NET's default DateParseHandling; the offset is converted to UTC,
 * the time zone of Azure's machines). Returns undefined for null, which the host skips.
 */
export function netScalarText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return netNumberText(value);

  const text = String(value);
  const date = parseJsonNetDate(text);
  return date === undefined ? text : formatInvariantDate(date);
}

function netNumberText(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value.toFixed(0);

  // .NET writes the shortest round-trip form like JS, but with an upper-case E and at least
  // two exponent digits: 1E+21, 1E-07.
  return String(value)
    .replace(/e([+-])(\d)$/, 'E$10$2')
    .replace('e', 'E');
}

const JSON_NET_DATE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$/;

function parseJsonNetDate(text: string): Date | undefined {
  const match = JSON_NET_DATE.exec(text);
  if (match === null) return undefined;

  const zone = match[8];
  const local = text.slice(0, 19) + (match[7] ?? '').slice(0, 4);
  const date = new Date(`${local}${zone === undefined ? 'Z' : zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function formatInvariantDate(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}/${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}

/**
 * A value as Json.NET serializes it by default, for application properties: dates as UTC
 * date text, byte arrays as base64, 64-bit integers as numbers.
 */
export function toNetJsonValue(value: unknown): unknown {
  if (value instanceof Date) return formatNetDate(value, 'Z');
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (isLong(value)) return value.toNumber();
  if (Array.isArray(value)) return value.map(toNetJsonValue);
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) result[key] = toNetJsonValue(inner);
    return result;
  }
  return value;
}

export function isLong(value: unknown): value is { toNumber(): number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'low' in value &&
    'high' in value &&
    typeof (value as { toNumber?: unknown }).toNumber === 'function'
  );
}
