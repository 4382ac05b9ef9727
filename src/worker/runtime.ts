import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';

import type { ServiceBusClient } from '@azure/service-bus';

import { type AppSettings, applyAppSettings, loadAppSettings } from '../shared/appSettings';
import { ConfigError, ensureError } from '../shared/errors';
import { createLogger, type Logger, parseLogLevel } from '../shared/logger';
import { SECOND_MS, sleep } from '../shared/time';
import { type LoadedApp, loadApp } from './appLoader';
import { type HostCapabilities, negotiateCapabilities } from './capabilities';
import { ClientPool } from './clients';
import { captureConsole } from './consoleCapture';
import { checkSomethingToHost, chooseEmbedded } from './connectionChoice';
import { describeConnection, resolveConnection } from './connection';
import type { CoreLogSink } from './coreModule';
import { Dispatcher, type InvocationCounts } from './dispatcher';
import {
  type EmbeddedEmulator,
  embeddedRefusal,
  embeddedRefusedError,
  startEmbeddedEmulator,
} from './embedded';
import {
  type FunctionPlan,
  entityPath,
  planFunctions,
  type ServiceBusFunction,
} from './functionPlan';
import { runAppStartHooks, runAppTerminateHooks } from './hooks';
import { type HostSettings, loadHostSettings } from './hostSettings';
import type { Listener } from './listener';
import { createListener } from './listeners';
import { resolveLogLevels, type WorkerLogLevels } from './logLevels';
import { drainAndClose } from './drain';
import { EventLoopWatch } from './eventLoopWatch';
import { OutputSender } from './outputs';
import type { ReceiveRefusal } from './receiveRefusal';
import { logStartup } from './startupSummary';
import type { SlotsExhausted } from './timedOutHandlers';
import { checkEntityPaths, checkWorkerSettings, graceFromSettings } from './workerSettings';

const EMBEDDED_CLOSE_PAUSE_MS = 200;

export interface WorkerOptions {
  /** The Functions app folder (package.json, host.json); default: the current directory. */
  appDir?: string;
  /**
   * Route the app's console output through the worker's log (`log`), or as JSON lines to stderr
   * (`stderr`, for `--check`, whose stdout is its report); by default it is left alone.
   */
  captureConsole?: 'log' | 'stderr';
  /** Settings source instead of process.env (tests). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** How long shutdown waits for in-flight invocations (default 25 s, under Heroku's 30 s). */
  shutdownGraceMs?: number;
  /** Port for embedded mode (default 5672; tests pass 0). */
  embeddedPort?: number;
  /**
   * Called once when the worker can take no more messages of a function, because every slot
   * of it is held by a timed-out handler that has not returned: the host would restart its
   * worker process, so the caller stops the worker and exits non-zero. Without it the worker
   * only logs the error.
   */
  onMustRestart?: (reason: string) => void;
  /**
   * What `configureWorker` resolved with these options, when the caller checked the settings
   * before doing slow work of its own (the main job opens its database after it).
   */
  configuration?: WorkerConfiguration;
}

/** What start-up resolved: enough for `--check` and for the first log lines. */
export interface WorkerConfiguration {
  appDir: string;
  settings: AppSettings;
  host: HostSettings;
  app: LoadedApp;
  plan: FunctionPlan;
  /** Connection names that have no setting; all of them when embedded mode applies. */
  embedded: boolean;
  logger: Logger;
  logLevels: WorkerLogLevels;
}

/** A snapshot of what the worker is doing, for idle detection and run summaries. */
export interface WorkerActivity {
  /** Messages received and not yet settled, over all listeners. */
  inFlight: number;
  /** Invocations started since start-up; it only grows. */
  invocationsStarted: number;
  /** Ended invocations per function and result. */
  invocations: InvocationCounts;
  /** `performance.now()` when the latest invocation ended; undefined before the first. */
  lastInvocationEndedAtMs: number | undefined;
  /** The functions whose receivers Service Bus keeps refusing, while it does. */
  refusals: ReceiveRefusal[];
}

export interface RunningWorker {
  readonly functions: ServiceBusFunction[];
  /** Set in embedded mode. */
  readonly embedded: EmbeddedEmulator | undefined;
  readonly readyMs: number;
  readonly shutdownGraceMs: number;
  readonly logger: Logger;
  activity(): WorkerActivity;
  /** The worker's client for a connection name; `stop()` closes it with everything it opened. */
  client(connectionName: string): Promise<ServiceBusClient>;
  /** Drains and closes; idempotent. Resolves when everything is closed. */
  /** `afterDrain` runs once nothing is in flight, before the appTerminate hooks close things. */
  stop(reason?: string, options?: { afterDrain?: () => Promise<void> }): Promise<void>;
}

/**
 * Resolves everything start-up needs without connecting: settings, host.json, the app's
 * registrations and their connections. Errors name the setting or file at fault.
 */
export async function configureWorker(options: WorkerOptions = {}): Promise<WorkerConfiguration> {
  const appDir = resolve(options.appDir ?? '.');
  const settings = loadAppSettings({ appDir, env: options.env });
  applyAppSettings(settings, options.env ?? process.env);
  checkWorkerSettings(settings.values);
  const host = loadHostSettings(appDir, settings.values);

  const logger =
    options.logger ??
    createLogger({ level: parseLogLevel(settings.values.LOG_LEVEL, host.logLevel ?? 'info') });
  if (options.captureConsole !== undefined) {
    const toStderr = options.captureConsole === 'stderr';
    const target = toStderr ? createLogger({ destination: process.stderr, pretty: false }) : logger;
    // Undone by the process's exit: the worker owns its process.
    captureConsole(target);
  }
  const app = await loadApp(appDir, systemLogSink(logger.child({ category: 'system' })));
  const plan = planFunctions(app.registry, host.serviceBus, settings.values, host.functionNames);
  checkEntityPaths(plan.functions, settings);

  checkSomethingToHost(plan);
  const embedded = chooseEmbedded(connectionNames(plan.functions), settings);
  const logLevels = resolveLogLevels({
    logLevelSetting: settings.values.LOG_LEVEL,
    hostDefault: host.logLevel,
    hostCategories: host.categoryLogLevels,
    functionNames: plan.functions.map((fn) => fn.name),
  });
  return { appDir, settings, host, app, plan, embedded, logger, logLevels };
}

/** Starts the worker: embedded emulator if needed, appStart hooks, one listener per function. */
export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  const startedAt = performance.now();
  const config = options.configuration ?? (await configureWorker(options));
  const { logger, host, plan, settings, logLevels } = config;

  let embedded: EmbeddedEmulator | undefined;
  if (config.embedded) {
    embedded = await startEmbeddedEmulator(plan.functions, logger, options.embeddedPort);
    logger.info(
      'No Service Bus connection is configured: ' +
        `started the embedded emulator on port ${embedded.port}` +
        (embedded.httpPort === null ? '' : ` (management API ${embedded.httpPort})`) +
        `. Connection string: ${embedded.connectionString}`,
      { port: embedded.port, httpPort: embedded.httpPort, entities: entityNames(plan.functions) },
    );
  }
  // A partly configured app (some names set, some not) fails here, naming the missing one.
  const clients = new ClientPool(
    settings.values,
    host.serviceBus.clientRetryOptions,
    embedded?.connectionString,
    settings.sources,
  );
  for (const name of connectionNames(plan.functions)) clients.resolve(name);
  logStartup(config, clients);

  const outputs = new OutputSender(clients);
  const dispatcher = new Dispatcher({
    registry: config.app.registry,
    outputs,
    logger,
    functionLogLevels: logLevels.functions,
    functionTimeoutMs: host.functionTimeoutMs,
  });

  const listeners: Listener[] = [];
  let appStarted = false;
  try {
    await runAppStartHooks(config.app.registry, config.appDir);
    appStarted = true;
    const capabilities = await negotiateCapabilities(logger);
    const onSlotsExhausted = slotsExhaustedHandler(logger, options.onMustRestart);
    for (const fn of plan.functions) {
      listeners.push(
        await startListener(config, fn, { clients, dispatcher, capabilities, onSlotsExhausted }),
      );
    }
  } catch (error) {
    await Promise.allSettled(listeners.map((l) => l.close()));
    // As at shutdown: what the appStart hooks opened (a database pool) is closed before exit.
    if (appStarted) await terminateApp(config, logger);
    await outputs.closeAll();
    await clients.closeAll();
    await embedded?.close();
    throw error;
  }

  const readyMs = Math.round(performance.now() - startedAt);
  logger.info(`Worker ready: ${plan.functions.length} function(s) listening`, { readyMs });
  const loopWatch = new EventLoopWatch({
    logger,
    takeInvocationsPeak: () => dispatcher.takeRunningPeak(),
  });

  const shutdownGraceMs = options.shutdownGraceMs ?? graceFromSettings(settings.values);
  let stopping: Promise<void> | undefined;
  return {
    functions: plan.functions,
    embedded,
    readyMs,
    shutdownGraceMs,
    logger,
    activity: () => ({
      inFlight: listeners.reduce((sum, listener) => sum + listener.inFlightCount(), 0),
      invocationsStarted: dispatcher.invocationsStarted,
      invocations: dispatcher.invocationCounts(),
      lastInvocationEndedAtMs: dispatcher.lastInvocationEndedAtMs,
      refusals: listeners.flatMap((listener) => listener.refusal() ?? []),
    }),
    client: async (connectionName) => (await clients.get(connectionName)).client,
    stop: (reason = 'stop requested', stopOptions = {}) => {
      stopping ??= drainAndClose({
        reason,
        listeners,
        graceMs: shutdownGraceMs,
        logger,
        closeApp: async () => {
          await stopOptions.afterDrain?.().catch((error: unknown) => {
            logger.error('Work after draining failed', { error: ensureError(error).message });
          });
          await terminateApp(config, logger);
        },
        closeConnections: async () => {
          await outputs.closeAll();
          await clients.closeAll();
        },
        closeLocal: async () => {
          if (embedded !== undefined) {
            // Let the emulator see the clients' AMQP close before its sockets go away.
            await sleep(EMBEDDED_CLOSE_PAUSE_MS);
            await embedded.close();
          }
        },
      }).finally(() => loopWatch.stop());
      return stopping;
    },
  };
}

interface ListenerDeps {
  clients: ClientPool;
  dispatcher: Dispatcher;
  capabilities: HostCapabilities;
  onSlotsExhausted: (report: SlotsExhausted) => void;
}

/** Starts the listener of one function on its connection's client. */
async function startListener(
  config: WorkerConfiguration,
  fn: ServiceBusFunction,
  { clients, dispatcher, capabilities, onSlotsExhausted }: ListenerDeps,
): Promise<Listener> {
  const { logger, host, logLevels } = config;
  const { client, connection, target } = await clients.get(fn.connectionName);
  const { namespace } = describeConnection(connection);
  const listener = createListener({
    fn,
    client,
    connectionTarget: target,
    dispatcher,
    serviceBus: host.serviceBus,
    logger: logger.child({ function: fn.name }),
    invocationLogger: logger.child(
      { function: fn.name },
      { level: logLevels.functions[fn.name]?.invocations },
    ),
    triggerInfo: {
      isSessionsEnabled: fn.isSessionsEnabled,
      fullyQualifiedNamespace: namespace,
      clientIdentifier: `${namespace}-${randomUUID()}`,
      includeEmptyEntries: capabilities.includeEmptyEntries,
    },
    onSlotsExhausted,
    slotsExhaustedWaitMs: Math.min(
      host.functionTimeoutMs ?? SLOTS_EXHAUSTED_MAX_WAIT_MS,
      SLOTS_EXHAUSTED_MAX_WAIT_MS,
    ),
  });
  await listener.start();
  return listener;
}

/** Runs the app's appTerminate hooks; a failing hook is logged, never thrown. */
async function terminateApp(config: WorkerConfiguration, logger: Logger): Promise<void> {
  await runAppTerminateHooks(config.app.registry).catch((error: unknown) => {
    logger.error('An appTerminate hook failed', { error: ensureError(error).message });
  });
}

/**
 * How long every slot of a function may stay held by timed-out handlers before the worker gives
 * up on them: one more functionTimeout, at most a minute. A handler only a little slower than
 * its timeout frees its slot, and the worker goes on; one that hangs costs a restart.
 */
const SLOTS_EXHAUSTED_MAX_WAIT_MS = 60_000;

/**
 * Logs that a function can run nothing more until a timed-out handler returns, and the first
 * time asks the caller to restart the worker (the host restarts its process at every timeout).
 */
function slotsExhaustedHandler(
  logger: Logger,
  onMustRestart: ((reason: string) => void) | undefined,
): (report: SlotsExhausted) => void {
  let asked = false;
  return ({ functionName, slotName, slotCount }) => {
    const slots = `every ${slotName} slot of function '${functionName}'`;
    const reason = `${slots} is held by a timed-out handler`;
    logger.error(
      `All ${slotCount} ${slotName} slot(s) of function '${functionName}' are held by ` +
        'timed-out invocations whose handlers have not returned: ' +
        (onMustRestart === undefined
          ? 'none of its messages run until one returns'
          : 'stopping the worker with exit code 1 so that the platform restarts it'),
      { function: functionName, code: 'FunctionTimeoutSlotsExhausted', slotName, slotCount },
    );
    if (onMustRestart === undefined || asked) return;
    asked = true;
    onMustRestart(reason);
  };
}

function connectionNames(functions: ServiceBusFunction[]): string[] {
  const names = new Set<string>();
  for (const fn of functions) {
    names.add(fn.connectionName);
    for (const output of fn.outputs) names.add(output.connectionName);
  }
  return [...names];
}

/** The entities the embedded emulator makes: a dead-letter trigger's own queue or subscription. */
function entityNames(functions: ServiceBusFunction[]): string[] {
  const names = new Set<string>();
  for (const fn of functions) {
    names.add(entityPath(fn.entity, false));
    for (const output of fn.outputs) names.add(output.entityName);
  }
  return [...names];
}

function systemLogSink(logger: Logger): CoreLogSink {
  return (level, _category, message) => {
    if (level === 'error' || level === 'critical') logger.error(message);
    else if (level === 'warning') logger.warn(message);
    else if (level === 'information') logger.info(message);
    else if (level !== 'none') logger.debug(message);
  };
}
