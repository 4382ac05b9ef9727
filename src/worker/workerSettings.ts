import type { AppSettings } from '../shared/appSettings';
import { ConfigError } from '../shared/errors';
import { refuseWebDyno } from '../shared/herokuDyno';
import { toLogLevel } from '../shared/logger';
import { MAX_TIMER_MS, SECOND_MS } from '../shared/time';
import { checkEntityPath, resolveConnection } from './connection';
import type { ServiceBusFunction } from './functionPlan';

/** Under Heroku's 30 s between SIGTERM and SIGKILL. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 25 * SECOND_MS;

/** A mistyped setting stops start-up rather than silently falling back to a default. */
export function checkWorkerSettings(settings: Record<string, string>): void {
  refuseWebDyno(settings.DYNO);

  const level = settings.LOG_LEVEL;
  if (level !== undefined && level !== '' && toLogLevel(level) === undefined) {
    throw new ConfigError(
      'LOG_LEVEL must be one of debug, info, warn, error, silent, or a Functions level: ' +
        `Trace, Debug, Information, Warning, Error, Critical, None; got "${level}"`,
    );
  }

  // A timer takes at most 2^31 - 1 ms; Node would turn a longer one into 1 ms.
  const grace = settings.SHUTDOWN_GRACE_MS;
  if (
    grace !== undefined &&
    grace !== '' &&
    (!/^\d+$/.test(grace.trim()) || Number(grace) > MAX_TIMER_MS)
  ) {
    throw new ConfigError(
      `SHUTDOWN_GRACE_MS must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}; ` +
        `got "${grace}"`,
    );
  }
}

export function graceFromSettings(settings: Record<string, string>): number {
  const raw = settings.SHUTDOWN_GRACE_MS;
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_SHUTDOWN_GRACE_MS;
}

export function checkEntityPaths(functions: ServiceBusFunction[], settings: AppSettings): void {
  const resolve = (name: string) => resolveConnection(name, settings.values, settings.sources);
  for (const fn of functions) {
    const trigger = fn.entity.kind === 'queue' ? fn.entity.queueName : fn.entity.topicName;
    const where = `function '${fn.name}'`;
    checkEntityPath(resolve(fn.connectionName), trigger, where);
    for (const output of fn.outputs) {
      const connection = resolve(output.connectionName);
      checkEntityPath(connection, output.entityName, `${where} output ${output.bindingName}`);
    }
  }
}
