import type { RunSummary, StockCheck } from '../../orders/runSummary';
import type { WorkerActivity } from '../../worker';
import { formatTable } from '../operator/table';
import { type DeadLetterCount, deadLetterText } from './deadLetters';
import type { SampleLoad } from './sampleLoader';

/** What one run of the main job did, read from the database and the worker. */
export interface MainJobReport {
  /** Why the run ended. */
  ended: 'idle' | 'signal';
  embedded: boolean;
  store: 'pglite' | 'postgres';
  sample: SampleLoad;
  /** Settings, database, emulator and worker start-up. */
  startupMs: number;
  /**
   * From the worker being ready (before the sample is sent) to the end of processing: the end
   * of the last invocation, however long the run went on listening after it; 0 if none ran.
   */
  elapsedMs: number;
  /** Invocations that ended (any result) in this run, over all functions. */
  messagesHandled: number;
  messagesPerSecond: number;
  invocations: WorkerActivity['invocations'];
  summary: RunSummary;
  stock: StockCheck;
  /** What the dead-letter queues of the trigger entities hold at the end, from the broker. */
  deadLetters: DeadLetterCount;
}

/** `--exit-when-idle` ended with dead letters in the trigger entities' DLQs (or uncounted). */
const EXIT_DEAD_LETTERS = 3;

/** Whether the books balance: the run's exit code follows this. */
export function invariantsHold(report: MainJobReport): boolean {
  return report.stock.violations.length === 0;
}

/**
 * 1 when a stock invariant is violated (the books are wrong: that comes first); with
 * `--exit-when-idle`, 3 when the dead-letter queues hold messages or could not be counted, so
 * that a script sees work that did not go through; 0 otherwise. A run ended by a signal is a
 * worker being stopped, not a batch being checked: dead letters leave its code at 0.
 */
export function exitCodeFor(report: MainJobReport, exitWhenIdle: boolean): number {
  if (!invariantsHold(report)) return 1;
  if (exitWhenIdle && report.deadLetters.total !== 0) return EXIT_DEAD_LETTERS;
  return 0;
}

export function messagesPerSecond(messages: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : Math.round((messages * 1000) / elapsedMs);
}

/** The summary as a small two-column table, for a terminal. */
export function formatReport(report: MainJobReport): string {
  const { summary, stock } = report;
  const rows: Array<[string, string | number]> = [
    ['orders fulfilled', summary.orders.fulfilled],
    ['orders partly backordered', summary.orders.partlyBackordered],
    ['orders backordered', summary.orders.backordered],
    ['orders cancelled', summary.orders.cancelled],
    ['orders adjusted', summary.orders.adjusted],
    ['messages rejected', summary.rejectedMessages],
    ['messages dead-lettered', deadLetterText(report.deadLetters)],
    ['deliveries already processed', summary.alreadyProcessed],
    ['shipments requested', summary.shipmentsRequested],
    ['shipments created', summary.shipmentsCreated],
    ['units ordered', summary.units.ordered],
    ['units reserved', summary.units.reserved],
    ['units backordered', summary.units.backordered],
    ['units returned', summary.units.returned],
    ['messages handled', report.messagesHandled],
    ['elapsed', `${seconds(report.elapsedMs)} (start-up ${seconds(report.startupMs)})`],
    ['messages/s', report.messagesPerSecond],
    ['stock invariants', invariantText(stock)],
  ];
  const table = formatTable(
    [
      { header: 'This run', value: (row: [string, string | number]) => row[0] },
      { header: '', value: (row: [string, string | number]) => row[1], align: 'right' },
    ],
    rows,
  );
  const violations = stock.violations
    .slice(0, 10)
    .map((v) => `  ${v.sku}: ${v.rule} (${v.detail})\n`);
  return `\n${table}${violations.join('')}`;
}

/** The same report as log fields (one structured line). */
export function reportFields(report: MainJobReport): Record<string, unknown> {
  return {
    ended: report.ended,
    embedded: report.embedded,
    store: report.store,
    sample: report.sample,
    orders: report.summary.orders,
    rejectedMessages: report.summary.rejectedMessages,
    messagesDeadLettered: report.deadLetters.total,
    deadLetters: {
      more: report.deadLetters.more,
      entities: report.deadLetters.entities,
      ...(report.deadLetters.error === undefined ? {} : { error: report.deadLetters.error }),
    },
    alreadyProcessed: report.summary.alreadyProcessed,
    shipmentsRequested: report.summary.shipmentsRequested,
    shipmentsCreated: report.summary.shipmentsCreated,
    units: report.summary.units,
    messagesHandled: report.messagesHandled,
    invocations: report.invocations,
    startupMs: report.startupMs,
    elapsedMs: report.elapsedMs,
    messagesPerSecond: report.messagesPerSecond,
    invariants: {
      ok: invariantsHold(report),
      skusChecked: report.stock.skusChecked,
      violations: report.stock.violations.slice(0, 20),
    },
  };
}

function invariantText(stock: StockCheck): string {
  if (stock.violations.length === 0) return `OK (${stock.skusChecked} SKUs)`;
  return `VIOLATED: ${stock.violations.length} (${stock.skusChecked} SKUs)`;
}

function seconds(durationMs: number): string {
  return `${(durationMs / 1000).toFixed(2)} s`;
}
