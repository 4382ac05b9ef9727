import {
  getOrderRuntime,
  type OrderRuntime,
  type OrderSettings,
  orderSettingsFromEnv,
} from '../../orders/orderRuntime';
import { APP_ROOT } from '../../orders/sampleData';
import { hostMaxConcurrentCalls } from '../../shared/hostConcurrency';
import { hostRunsFunction } from '../../shared/hostFunctionSwitches';

// The order functions as their host runs them. Whichever host that is (Azure Functions, the
// worker, `npm start`), the app can read only its own host.json and app settings, and reads
// them as the host does, so the pool is sized for the concurrency the host really runs.

let concurrency: number | undefined;

/**
 * How many invocations of one order function the host runs at once: `maxConcurrentCalls`, as
 * neither order function has sessions. One connection each: a transaction holds it for
 * milliseconds, so when both functions are busy the few that wait for a connection wait
 * briefly, and host.json's 16 stays inside the 20 connections of Heroku Postgres's smallest
 * plans. Read with the other settings while the app loads, so that a wrong value stops
 * start-up.
 */
function hostConcurrency(): number {
  concurrency ??= hostMaxConcurrentCalls(APP_ROOT, process.env);
  return concurrency;
}

/** The order settings from process.env, checked, with the pool sized for the host. */
export function hostedOrderSettings(): OrderSettings {
  return orderSettingsFromEnv(process.env, hostConcurrency());
}

/** The process's order runtime, opened with the pool sized for the host. */
export function hostedOrderRuntime(): Promise<OrderRuntime> {
  return getOrderRuntime(hostConcurrency());
}

/** The functions that use the order store. */
const ORDER_FUNCTIONS = ['processOrder', 'processShipment'];

/**
 * Whether the host runs any function that uses the order store: with both turned off (the
 * `AzureWebJobs.<name>.Disabled` settings, or host.json `functions`), a worker hosting the
 * other functions has no reason to open the store, whose embedded PGlite alone takes hundreds
 * of megabytes.
 */
export function orderStoreNeeded(): boolean {
  return ORDER_FUNCTIONS.some((name) => hostRunsFunction(APP_ROOT, process.env, name));
}
