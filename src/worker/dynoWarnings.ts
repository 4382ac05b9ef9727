import { SECOND_MS } from '../shared/time';
import {
  ABANDON_BUDGET_MS,
  CLOSE_APP_MIN_MS,
  CLOSE_CONNECTIONS_BUDGET_MS,
  EXIT_WATCHDOG_MS,
} from './drain';
import { graceFromSettings } from './workerSettings';

const HEROKU_KILL_AFTER_MS = 30 * SECOND_MS;
/** What a drain may take beyond the grace period: the close steps' bounds and the watchdog. */
const SHUTDOWN_OVERRUN_MS =
  ABANDON_BUDGET_MS + CLOSE_APP_MIN_MS + CLOSE_CONNECTIONS_BUDGET_MS + EXIT_WATCHDOG_MS;

/**
 * Heroku kills a dyno 30 s after SIGTERM; a longer drain is cut off half-way. Judged from the
 * settings alone, so that `--check` lists it as start-up logs it.
 */
export function drainOutlastsDynoWarnings(
  settings: Record<string, string>,
): Array<{ message: string; fields: Record<string, unknown> }> {
  if ((settings.DYNO ?? '') === '') return [];
  const shutdownGraceMs = graceFromSettings(settings);
  const longestShutdownMs = shutdownGraceMs + SHUTDOWN_OVERRUN_MS;
  if (longestShutdownMs < HEROKU_KILL_AFTER_MS) return [];

  return [
    {
      message:
        'SHUTDOWN_GRACE_MS is too long for a Heroku dyno: Heroku kills the process 30 s after ' +
        'SIGTERM, before the drain can finish (keep it at 25000 or less)',
      fields: { shutdownGraceMs, longestShutdownMs },
    },
  ];
}
