import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../../shared/time';
import { isoDurationTicks, parseIsoDuration } from '../config/duration';

/** .NET `TimeSpan.MaxValue`, which Service Bus uses for "never" (no TTL, no auto-delete). */
export const NEVER = 'P10675199DT2H48M5.4775807S';

/** The longest duration a description may hold, in ticks: Azure refuses anything longer. */
const MAX_DURATION_TICKS = 2n ** 63n - 1n;

// Anything at or above this reads as "never": no real setting is a hundred years long.
const NEVER_THRESHOLD_MS = 36_500 * DAY_MS;

/** Milliseconds → ISO-8601 duration as Service Bus writes it (`PT1M`, `P14D`, `PT0.5S`). */
export function formatDuration(durationMs: number | null): string {
  if (durationMs === null || durationMs >= NEVER_THRESHOLD_MS) return NEVER;

  const days = Math.floor(durationMs / DAY_MS);
  const hours = Math.floor((durationMs % DAY_MS) / HOUR_MS);
  const minutes = Math.floor((durationMs % HOUR_MS) / MINUTE_MS);
  const seconds = (durationMs % MINUTE_MS) / SECOND_MS;

  let time = '';
  if (hours > 0) time += `${hours}H`;
  if (minutes > 0) time += `${minutes}M`;
  if (seconds > 0) time += `${seconds}S`;
  const date = days > 0 ? `${days}D` : '';
  if (!date && !time) return 'PT0S';
  return `P${date}${time ? `T${time}` : ''}`;
}

/**
 * ISO-8601 duration → milliseconds; null for "never". Undefined for text that is no duration
 * or one longer than .NET's `TimeSpan.MaxValue`.
 */
export function readDuration(text: string): number | null | undefined {
  const durationMs = parseIsoDuration(text);
  const ticks = isoDurationTicks(text);
  if (durationMs === undefined || ticks === undefined || ticks > MAX_DURATION_TICKS) {
    return undefined;
  }
  return durationMs >= NEVER_THRESHOLD_MS ? null : durationMs;
}
