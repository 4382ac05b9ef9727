import { ConfigError } from '../shared/errors';
import {
  isConsumptionPlan,
  readMaxConcurrentCalls,
  readMaxConcurrentSessions,
} from '../shared/hostConcurrency';
import {
  type ConfigTree,
  describe,
  get,
  loadHostJsonTree,
  readHostInteger,
} from '../shared/hostJsonTree';
import { readFunctionNames } from '../shared/hostFunctionSwitches';
import type { LogLevel } from '../shared/logger';
import { netBoolean } from '../shared/netValueText';
import { MAX_TIMER_MS, MINUTE_MS, SECOND_MS } from '../shared/time';
import { type ClientRetrySettings, readClientRetry } from './clientRetryOptions';
import { type CategoryLevel, hostLogLevel } from './logLevels';
import { INFINITE_TIME_SPAN_MS, parseTimeSpanMs } from './timeSpan';
import { unappliedServiceBusKeys } from './unappliedHostKeys';

/** `extensions.serviceBus` in the words of host.json, durations in milliseconds. */
export interface ServiceBusSettings {
  prefetchCount: number;
  maxConcurrentCalls: number;
  maxConcurrentSessions: number;
  /** Infinity for .NET's infinite TimeSpan. */
  maxAutoLockRenewalDurationMs: number;
  autoCompleteMessages: boolean;
  maxMessageBatchSize: number;
  minMessageBatchSize: number;
  maxBatchWaitTimeMs: number;
  /** null: unset; the SDK then waits `clientRetryOptions.tryTimeout`. */
  sessionIdleTimeoutMs: number | null;
  clientRetryOptions: ClientRetrySettings;
}

export interface HostSettings {
  /** null: unbounded (`-1`). */
  functionTimeoutMs: number | null;
  serviceBus: ServiceBusSettings;
  /** From `logging.logLevel.default`, when set. */
  logLevel: LogLevel | undefined;
  /** The other `logging.logLevel` keys (categories), as written. */
  categoryLogLevels: CategoryLevel[];
  /** host.json `functions`: the only functions the host runs, when set. */
  functionNames: string[] | undefined;
  /** The host.json that was read; null when the app has none and defaults apply. */
  hostJsonPath: string | null;
  /** Names of the `AzureFunctionsJobHost__…` settings that were applied. */
  overrides: string[];
  /** Those that set a value beside host.json's (see `applyOverrides`), which .NET ignores. */
  ignoredOverrides: string[];
  /** `extensions.serviceBus` keys the worker does not apply (host-only settings, typos). */
  unappliedKeys: string[];
}

const MAX_BATCH_WAIT_TIME_MS = 150 * SECOND_MS;

/**
 * Reads `host.json` from the app folder and applies `AzureFunctionsJobHost__…` settings over it,
 * as the Functions host does, then checks every Service Bus value with the host's defaults and
 * bounds. Keys are matched case-insensitively.
 *
 * @throws ConfigError (`InvalidConfiguration`) naming the host.json path or the setting.
 */
export function loadHostSettings(appDir: string, settings: Record<string, string>): HostSettings {
  const { tree, path: hostJsonPath, applied, ignored } = loadHostJsonTree(appDir, settings);

  const version = get(tree, 'version');
  if (hostJsonPath !== null && version !== '2.0') {
    throw new ConfigError(
      `${describe(tree, 'version')} must be "2.0" (got ${JSON.stringify(version)})`,
    );
  }

  const consumption = isConsumptionPlan(settings);
  return {
    functionTimeoutMs: readFunctionTimeout(tree, consumption),
    serviceBus: readServiceBus(tree, consumption),
    logLevel: readLogLevel(tree, 'logging.logLevel.default', get(tree, 'logging.logLevel.default')),
    categoryLogLevels: readCategoryLogLevels(tree),
    functionNames: readFunctionNames(tree),
    hostJsonPath,
    overrides: applied,
    ignoredOverrides: ignored,
    unappliedKeys: unappliedServiceBusKeys(get(tree, 'extensions.serviceBus'), tree.spellings),
  };
}

/** The most messages one worker process holds per function: in flight plus prefetched. */
const MAX_CREDIT = 100_000;

function readBoolean(tree: ConfigTree, paths: string[], fallback: boolean): boolean {
  for (const path of paths) {
    const raw = get(tree, path);
    if (raw === undefined || raw === null) continue;

    const value = netBoolean(raw);
    if (value !== undefined) return value;
    throw new ConfigError(
      `${describe(tree, path)} must be true or false (got ${JSON.stringify(raw)})`,
    );
  }
  return fallback;
}

/** Reads a TimeSpan; returns undefined when none of the paths is set. */
function readDuration(
  tree: ConfigTree,
  paths: string[],
  allowInfinite = false,
): number | undefined {
  for (const path of paths) {
    const raw = get(tree, path);
    if (raw === undefined || raw === null) continue;

    const valueMs = typeof raw === 'string' ? parseTimeSpanMs(raw) : undefined;
    if (valueMs === INFINITE_TIME_SPAN_MS && allowInfinite) return Infinity;
    if (valueMs === undefined || valueMs < 0) {
      throw new ConfigError(
        `${describe(tree, path)} must be a TimeSpan such as "00:05:00" ` +
          `(got ${JSON.stringify(raw)})`,
      );
    }
    return Math.min(valueMs, MAX_TIMER_MS);
  }
  return undefined;
}

function readFunctionTimeout(tree: ConfigTree, consumption: boolean): number | null {
  const raw = get(tree, 'functionTimeout');
  const fallbackMs = consumption ? 5 * MINUTE_MS : 30 * MINUTE_MS;
  if (raw === undefined || raw === null) return fallbackMs;

  if (String(raw).trim() === '-1' && !consumption) return null;
  const valueMs = typeof raw === 'string' ? parseTimeSpanMs(raw) : undefined;
  const maxMs = consumption ? 10 * MINUTE_MS : Infinity;
  if (valueMs === undefined || valueMs < SECOND_MS || valueMs > maxMs) {
    const range = consumption ? 'between 00:00:01 and 00:10:00' : 'at least 00:00:01, or -1';
    const form = valueMs === undefined ? 'a TimeSpan (hh:mm:ss), ' : '';
    throw new ConfigError(
      `${describe(tree, 'functionTimeout')} must be ${form}${range} (got ${JSON.stringify(raw)})`,
    );
  }
  return Math.min(valueMs, MAX_TIMER_MS);
}

function readServiceBus(tree: ConfigTree, consumption: boolean): ServiceBusSettings {
  const sb = 'extensions.serviceBus';

  const minMessageBatchSize = readHostInteger(tree, [`${sb}.minMessageBatchSize`], 1, 1);
  const maxMessageBatchSize = readHostInteger(
    tree,
    [`${sb}.maxMessageBatchSize`, `${sb}.batchOptions.maxMessageCount`],
    1000,
    1,
  );
  const maxBatchWaitTimeMs = readDuration(tree, [`${sb}.maxBatchWaitTime`]) ?? 30 * SECOND_MS;
  if (maxBatchWaitTimeMs > MAX_BATCH_WAIT_TIME_MS) {
    throw new ConfigError(`${describe(tree, `${sb}.maxBatchWaitTime`)} must be at most 00:02:30`);
  }
  if (minMessageBatchSize > maxMessageBatchSize) {
    throw new ConfigError(
      `${describe(tree, `${sb}.minMessageBatchSize`)} (${minMessageBatchSize}) must not exceed ` +
        `${describe(tree, `${sb}.maxMessageBatchSize`)} (${maxMessageBatchSize})`,
    );
  }

  const settings: ServiceBusSettings = {
    prefetchCount: readHostInteger(tree, [`${sb}.prefetchCount`], 0, 0),
    maxConcurrentCalls: readMaxConcurrentCalls(tree, consumption),
    maxConcurrentSessions: readMaxConcurrentSessions(tree),
    maxAutoLockRenewalDurationMs:
      readDuration(
        tree,
        [
          `${sb}.maxAutoLockRenewalDuration`,
          `${sb}.messageHandlerOptions.maxAutoRenewDuration`,
          `${sb}.sessionHandlerOptions.maxAutoRenewDuration`,
        ],
        true,
      ) ?? 5 * MINUTE_MS,
    autoCompleteMessages: readBoolean(
      tree,
      [
        `${sb}.autoCompleteMessages`,
        `${sb}.messageHandlerOptions.autoComplete`,
        `${sb}.sessionHandlerOptions.autoComplete`,
        `${sb}.batchOptions.autoComplete`,
      ],
      true,
    ),
    maxMessageBatchSize,
    minMessageBatchSize,
    maxBatchWaitTimeMs,
    sessionIdleTimeoutMs:
      readDuration(tree, [
        `${sb}.sessionIdleTimeout`,
        `${sb}.sessionHandlerOptions.messageWaitTime`,
      ]) ?? null,
    clientRetryOptions: readClientRetry(tree, `${sb}.clientRetryOptions`),
  };

  // The worker asks the broker for this much credit. More is no use to one process, and a
  // drain of billions of credits holds an AMQP peer's event loop for minutes.
  if (settings.maxConcurrentCalls + settings.prefetchCount > MAX_CREDIT) {
    throw new ConfigError(
      `${describe(tree, `${sb}.maxConcurrentCalls`)} plus prefetchCount must not exceed ` +
        `${MAX_CREDIT} (got ${settings.maxConcurrentCalls} + ${settings.prefetchCount})`,
    );
  }
  return settings;
}

/** .NET's logging setup refuses a level it cannot parse at start-up; so does this. */
function readLogLevel(tree: ConfigTree, path: string, raw: unknown): LogLevel | undefined {
  if (raw === undefined || raw === null) return undefined;

  const level = typeof raw === 'string' ? hostLogLevel(raw) : undefined;
  if (level === undefined) {
    throw new ConfigError(
      `${describe(tree, path)} must be one of Trace, Debug, Information, ` +
        `Warning, Error, Critical, None (got ${JSON.stringify(raw)})`,
    );
  }
  return level;
}

/** The `logging.logLevel` keys other than `default`, in the order written. */
function readCategoryLogLevels(tree: ConfigTree): CategoryLevel[] {
  const node = get(tree, 'logging.logLevel');
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return [];

  const rules: CategoryLevel[] = [];
  // Category keys hold dots, so they are read from the node, not by path.
  for (const [key, raw] of Object.entries(node)) {
    if (key === 'default') continue;
    const spelled = tree.spellings.get(`logging.loglevel.${key}`) ?? key;
    const path = `logging.logLevel.${spelled}`;
    // .NET's filter refuses a category with two wildcards at the first line it logs.
    if (key.indexOf('*') !== key.lastIndexOf('*')) {
      throw new ConfigError(`${describe(tree, path)}: a category may hold one * at most`);
    }
    const level = readLogLevel(tree, path, raw);
    if (level !== undefined) rules.push({ category: spelled, level });
  }
  return rules;
}
