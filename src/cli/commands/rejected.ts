import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { Command } from 'commander';

import type { StoredBody } from '../../orders/decodeMessage';
import {
  listRejectedMessages,
  type RejectedRow,
  type RejectedFilter,
} from '../../orders/rejectedMessages';
import { APP_ROOT } from '../../orders/sampleData';
import {
  databaseSettingsFromEnv,
  openDatabase,
  withPoolSize,
} from '../../orders/store/openDatabase';
import { applyAppSettings, loadAppSettings } from '../../shared/appSettings';
import { AppError } from '../../shared/errors';
import { createLogger } from '../../shared/logger';
import {
  jsonLines,
  operatorAction,
  parseWholeNumber,
  shownOf,
  writeOut,
} from '../operator/commandSupport';
import { formatTable, type TableColumn } from '../operator/table';
import { UsageError } from '../operator/usageError';

interface RejectedFlags {
  count: string;
  function?: string;
  messageId?: string;
  json?: boolean;
}

const MAX_COUNT = 100_000;

/** The functions of the order job that record rejections (src/functions). */
const FUNCTION_NAMES = ['processOrder', 'processShipment'];

export function registerRejectedCommand(program: Command): void {
  program
    .command('rejected')
    .description(
      "the order job's rejected messages (rejected_messages): reason and whole body, oldest first",
    )
    .option('--count <n>', 'how many, from the oldest', '100')
    .option(
      '--function <name>',
      'only those of this function, in any case (processOrder, processShipment)',
    )
    .option('--message-id <id>', 'only those sent under this message id')
    .option(
      '--json',
      'JSON lines in the shape `send --file` reads (`rejection` is ignored on send)',
    )
    .addHelpText(
      'after',
      '\nThe database is the one the order job uses: DATABASE_URL (environment, .env or\n' +
        'local.settings.json), else the embedded one in PGLITE_DIR (default data/pglite), which\n' +
        'only one process can open at a time: stop `npm start` first.\n' +
        '\nExamples:\n  sbworker rejected\n' +
        '  sbworker rejected --function processOrder --json > rejected.jsonl\n' +
        '  (fix the bodies)  sbworker send orders --file rejected.jsonl\n',
    )
    .action(operatorAction(runRejected));
}

async function runRejected(flags: RejectedFlags): Promise<void> {
  const count = parseWholeNumber('--count', flags.count, 1, MAX_COUNT);
  checkFunctionName(flags.function);
  const filter: RejectedFilter = {
    functionName: flags.function,
    messageId: flags.messageId,
    // One more than asked, to tell whether the listing is the whole table.
    limit: count + 1,
  };

  applyAppSettings(loadAppSettings({ appDir: APP_ROOT }));
  const logger = createLogger({ level: 'warn', destination: process.stderr, pretty: false });
  const settings = databaseSettingsFromEnv(process.env, APP_ROOT);
  // Opening a folder that holds no database would create one, and report it empty.
  const folder = settings.pgliteDir;
  if (settings.databaseUrl === undefined && !existsSync(join(folder, 'PG_VERSION'))) {
    throw new AppError(
      'DatabaseNotFound',
      `no database in ${folder} (PGLITE_DIR, default data/pglite): the order job has not ` +
        'run with this folder; set PGLITE_DIR or DATABASE_URL to the one it uses',
    );
  }
  // One query at a time: one connection, unless DATABASE_POOL_SIZE says otherwise.
  const db = await openDatabase(withPoolSize(settings, 1), logger, { migrate: false });
  const rows = await listRejectedMessages(db, filter).finally(() => db.close());
  const shown = shownOf(rows, count, '');

  if (flags.json === true) writeOut(jsonLines(shown.map(rejectedJson)));
  else if (shown.length === 0) writeOut(`no rejected messages (${db.kind})\n`);
  else writeOut(formatTable(REJECTED_COLUMNS, shown));
}

/** The `send --file` line: the body as recorded, the rejection beside it for reading. */
function rejectedJson(row: RejectedRow): Record<string, unknown> {
  return {
    rejection: {
      id: row.id,
      rejectedAtUtc: row.rejectedAt.toISOString(),
      functionName: row.functionName,
      reasonCode: row.reasonCode,
      reason: row.reason,
      // A row from before schema version 2 holds the body's first 4,000 characters only.
      ...(row.bodyComplete ? {} : { bodyComplete: false }),
    },
    deliveryCount: row.deliveryCount ?? undefined,
    messageId: row.messageId ?? undefined,
    ...bodyJson(row.body),
  };
}

function bodyJson(body: StoredBody | null): { bodyEncoding?: string; body: unknown } {
  if (body === null) return { body: null };
  if (body.encoding !== 'json') return { bodyEncoding: body.encoding, body: body.text };
  try {
    return { bodyEncoding: 'json', body: JSON.parse(body.text) as unknown };
  } catch {
    // Recorded from a parsed body, so it parses; a row edited by hand may not.
    return { bodyEncoding: 'text', body: body.text };
  }
}

const REJECTED_COLUMNS: TableColumn<RejectedRow>[] = [
  { header: 'ID', value: (row) => row.id, align: 'right' },
  { header: 'REJECTED AT (UTC)', value: (row) => row.rejectedAt.toISOString() },
  { header: 'FUNCTION', value: (row) => row.functionName },
  { header: 'MESSAGE ID', value: (row) => row.messageId ?? '-', maxWidth: 40 },
  { header: 'CODE', value: (row) => row.reasonCode },
  { header: 'BODY', value: (row) => (row.bodyComplete ? 'whole' : 'first 4,000 chars') },
  { header: 'REASON', value: (row) => row.reason, maxWidth: 80 },
];

/**
 * A misspelt --function would list nothing and read as "no rejected messages": refused before
 * the database is opened, naming the names the order job records.
 */
function checkFunctionName(name: string | undefined): void {
  if (name === undefined) return;
  if (FUNCTION_NAMES.some((known) => known.toLowerCase() === name.toLowerCase())) return;
  throw new UsageError(
    `--function takes ${FUNCTION_NAMES.join(' or ')} (in any case), got "${name}"`,
  );
}
