import { availableParallelism } from 'node:os';

import { type ConfigTree, loadHostJsonTree, readHostInteger } from './hostJsonTree';

// How many invocations the Functions host runs at once, read once for both of its readers: the
// worker, which runs that many, and the app's code, which sizes its database pool for them.

const SERVICE_BUS = 'extensions.serviceBus';

/** Per processor, as the host's Service Bus extension counts its default. */
const CALLS_PER_PROCESSOR = 16;
const DEFAULT_MAX_CONCURRENT_SESSIONS = 8;

/** A Consumption plan app (`WEBSITE_SKU=Dynamic`), where the host counts one processor. */
export function isConsumptionPlan(settings: Record<string, string | undefined>): boolean {
  return (settings.WEBSITE_SKU ?? '').toLowerCase() === 'dynamic';
}

/**
 * `extensions.serviceBus.maxConcurrentCalls` (or its 4.x name under `messageHandlerOptions`):
 * invocations at once per single-message function without sessions. The host's default is 16
 * per processor, counting one on Consumption.
 *
 * @throws ConfigError naming the setting when it is not an integer from 1.
 */
export function readMaxConcurrentCalls(tree: ConfigTree, consumption: boolean): number {
  const processorCount = consumption ? 1 : availableParallelism();
  return readHostIntegerOf(
    tree,
    ['maxConcurrentCalls', 'messageHandlerOptions.maxConcurrentCalls'],
    CALLS_PER_PROCESSOR * processorCount,
  );
}

/**
 * `extensions.serviceBus.maxConcurrentSessions` (or its 4.x name): sessions at once per session
 * function, each running one message at a time.
 *
 * @throws ConfigError naming the setting when it is not an integer from 1.
 */
export function readMaxConcurrentSessions(tree: ConfigTree): number {
  return readHostIntegerOf(
    tree,
    ['maxConcurrentSessions', 'sessionHandlerOptions.maxConcurrentSessions'],
    DEFAULT_MAX_CONCURRENT_SESSIONS,
  );
}

/**
 * The host's `maxConcurrentCalls` for the app in `appDir`, from its host.json and the
 * `AzureFunctionsJobHost__…` overrides among `settings` (the process environment, where both
 * hosts put the app settings), with the host's default when neither sets it.
 *
 * @throws ConfigError naming host.json or the setting at fault.
 */
export function hostMaxConcurrentCalls(
  appDir: string,
  settings: Record<string, string | undefined>,
): number {
  const { tree } = loadHostJsonTree(appDir, settings);
  return readMaxConcurrentCalls(tree, isConsumptionPlan(settings));
}

function readHostIntegerOf(tree: ConfigTree, keys: string[], fallback: number): number {
  return readHostInteger(
    tree,
    keys.map((key) => `${SERVICE_BUS}.${key}`),
    fallback,
    1,
  );
}
