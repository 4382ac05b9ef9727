import { closeOrderRuntime, getOrderRuntime } from '../../orders/orderRuntime';
import { checkStockInvariants, computeRunSummary } from '../../orders/runSummary';
import { APP_ROOT } from '../../orders/sampleData';
import type { Database } from '../../orders/store/database';
import { databaseSettingsFromEnv } from '../../orders/store/openDatabase';
import { applyAppSettings, loadAppSettings } from '../../shared/appSettings';
import { ConfigError } from '../../shared/errors';
import { createLogger, type Logger } from '../../shared/logger';
import { configureWorker, type RunningWorker, startWorker, type WorkerOptions } from '../../worker';
import {
  type EntityProbe,
  type IdleWaitOptions,
  probeTriggerEntities,
  waitUntilIdle,
} from './idleDetection';
import { countDeadLetters, type DeadLetterCount } from './deadLetters';
import { resetOrderTables, resetRefusal } from './resetDatabase';
import { loadSampleIfWanted, type SampleLoad } from './sampleLoader';
import { type MainJobReport, messagesPerSecond } from './summary';

export interface MainJobOptions {
  /** Empty the order tables before the worker starts. */
  reset?: boolean;
  /** Port for the embedded emulator: 5672 by default (a free one when taken), 0 for any. */
  embeddedPort?: number;
  /** Settings source; defaults to process.env (the order store always reads process.env). */
  env?: NodeJS.ProcessEnv;
  /** The main job's own lines. */
  logger?: Logger;
  /** The worker's and the emulator's lines; defaults to `logger`. */
  workerLogger?: Logger;
  shutdownGraceMs?: number;
}

/** A started run: the worker is listening; load, wait, then finish. */
export interface MainJob {
  readonly worker: RunningWorker;
  readonly store: Database['kind'];
  loadSample(wanted: boolean): Promise<SampleLoad>;
  waitUntilIdle(options?: IdleWaitOptions): Promise<boolean>;
  /** Stops the worker (draining) and reports what this run did. Call once. */
  finish(ended: MainJobReport['ended']): Promise<MainJobReport>;
}

/**
 * Starts `sbworker start`: settings, the database (migrated, reset if asked), then the worker
 * hosting this project's functions, with the embedded emulator when nothing is configured.
 */
export async function startMainJob(options: MainJobOptions = {}): Promise<MainJob> {
  const startedAt = performance.now();
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ bindings: { component: 'main-job' } });

  // Settings first, so that DATABASE_URL from .env or local.settings.json reaches the store.
  const settings = loadAppSettings({ appDir: APP_ROOT, env });
  applyAppSettings(settings, env);

  // Refuse a reset before connecting: a remote database is never even opened for one.
  if (options.reset === true) {
    const { databaseUrl } = databaseSettingsFromEnv(process.env, APP_ROOT);
    const refusal = resetRefusal(
      { kind: databaseUrl === undefined ? 'pglite' : 'postgres' },
      settings.values,
    );
    if (refusal !== undefined) throw new ConfigError(`--reset is refused: ${refusal}`);
  }

  // The worker's settings are checked before the database is waited for: a missing Service
  // Bus connection is reported at once, not after the database's connection retries.
  const workerOptions: WorkerOptions = {
    appDir: APP_ROOT,
    env,
    logger: options.workerLogger ?? logger,
    embeddedPort: options.embeddedPort,
    shutdownGraceMs: options.shutdownGraceMs,
  };
  const configuration = await configureWorker(workerOptions);

  // Opened here, before the functions open it, so it is sized as they size it: for the
  // concurrency the worker runs them at, read by the same reader from the same host.json.
  const concurrency = configuration.host.serviceBus.maxConcurrentCalls;
  const { db } = await getOrderRuntime(concurrency);
  logger.info(`Database ready: ${describeStore(db)}`, { store: db.kind });
  if (options.reset === true) {
    await resetOrderTables(db, settings.values).catch(async (error: unknown) => {
      await closeOrderRuntime();
      throw error;
    });
    logger.info('Reset: the order tables are empty');
  }
  // The database's clock, so "this run" is exact even when the server's clock differs.
  const since = await databaseNow(db);

  let worker: RunningWorker;
  try {
    worker = await startWorker({ ...workerOptions, configuration });
  } catch (error) {
    await closeOrderRuntime();
    throw error;
  }
  logWorker(worker, logger);

  const probes = await probeTriggerEntities(worker);
  const retry = configuration.host.serviceBus.clientRetryOptions;
  const readyAt = performance.now();
  const startupMs = Math.round(readyAt - startedAt);
  let finishing: Promise<MainJobReport> | undefined;
  let sample: SampleLoad = { loaded: 0, skipped: 'the run loaded no sample' };

  return {
    worker,
    store: db.kind,
    loadSample: async (wanted) => (sample = await loadSampleIfWanted(worker, wanted, logger)),
    // A broker restart during the wait is ridden out as the worker's listeners ride it out.
    waitUntilIdle: (waitOptions) =>
      waitUntilIdle(worker, probes, { outages: { logger, retry }, ...waitOptions }),
    finish: (ended) => {
      const run = { worker, probes, since, readyAt, startupMs, concurrency };
      finishing ??= finish({ ...run, ended, sample });
      return finishing;
    },
  };
}

interface FinishInput {
  worker: RunningWorker;
  probes: EntityProbe[];
  ended: MainJobReport['ended'];
  since: Date;
  readyAt: number;
  startupMs: number;
  sample: SampleLoad;
  concurrency: number;
}

async function finish(input: FinishInput): Promise<MainJobReport> {
  const { worker, ended } = input;
  await Promise.allSettled(input.probes.map((probe) => probe.close()));

  // The books are read once nothing is in flight and before the appTerminate hook closes the
  // store: reopening it would find an empty database when it lives in memory.
  // The dead letters likewise, while the worker's clients (and an embedded broker) are open,
  // and after the drain, whose abandons may dead-letter a message at its last delivery.
  let figures: Awaited<ReturnType<typeof readFigures>> | undefined;
  let deadLetters: DeadLetterCount | undefined;
  const reason = ended === 'idle' ? 'the queues are empty and nothing is in flight' : 'signal';
  await worker.stop(reason, {
    afterDrain: async () => {
      deadLetters = await countDeadLetters(worker);
      figures = await readFigures(input.since, input.concurrency);
    },
  });
  figures ??= await readFigures(input.since, input.concurrency);
  deadLetters ??= {
    total: null,
    more: false,
    entities: [],
    error: 'the worker had stopped before they could be counted',
  };
  await closeOrderRuntime();

  // Elapsed ends with the last message (drained ones included), not with the summary: a run
  // stopped an hour after its work ended must not report an hour of processing.
  const { invocations, lastInvocationEndedAtMs: lastEndedAt } = worker.activity();
  const elapsedMs = lastEndedAt === undefined ? 0 : Math.round(lastEndedAt - input.readyAt);

  const messagesHandled = Object.values(invocations).reduce(
    (sum, counts) => sum + counts.succeeded + counts.failed + counts.timedOut,
    0,
  );
  return {
    ended,
    embedded: worker.embedded !== undefined,
    store: figures.store,
    sample: input.sample,
    startupMs: input.startupMs,
    elapsedMs,
    messagesHandled,
    messagesPerSecond: messagesPerSecond(messagesHandled, elapsedMs),
    invocations,
    summary: figures.summary,
    stock: figures.stock,
    deadLetters,
  };
}

async function readFigures(since: Date, concurrency: number) {
  const { db } = await getOrderRuntime(concurrency);
  const summary = await computeRunSummary(db, since);
  const stock = await checkStockInvariants(db);
  return { store: db.kind, summary, stock };
}

async function databaseNow(db: Database): Promise<Date> {
  const [row] = await db.query<{ now: Date | string }>('SELECT now() AS now');
  return row === undefined ? new Date() : new Date(row.now);
}

function describeStore(db: Database): string {
  if (db.kind === 'postgres') return 'PostgreSQL (DATABASE_URL)';
  const dir = databaseSettingsFromEnv(process.env, APP_ROOT).pgliteDir;
  return `embedded PGlite in ${dir}`;
}

function logWorker(worker: RunningWorker, logger: Logger): void {
  if (worker.embedded !== undefined) {
    const { port, httpPort, connectionString } = worker.embedded;
    // `sbworker stats` from another terminal needs the management port, which may be random.
    const management = httpPort === null ? '' : `, management API on port ${httpPort}`;
    logger.info(
      `Service Bus: the embedded emulator on port ${port}${management}` +
        ` (connection string: ${connectionString})`,
      { port, httpPort },
    );
  } else {
    logger.info('Service Bus: the configured namespace');
  }
  const functions = worker.functions.map(
    (fn) =>
      `${fn.name} (${fn.entity.kind === 'queue' ? fn.entity.queueName : fn.entity.topicName})`,
  );
  logger.info(`Worker ready: ${functions.join(', ')}`, { readyMs: worker.readyMs });
}
