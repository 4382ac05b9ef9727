import type { Command } from 'commander';

import { SECOND_MS } from '../../shared/time';
import {
  connectionFor,
  jsonLines,
  operatorAction,
  parseWholeNumber,
  withConnectionOption,
  writeOut,
  type ConnectionFlags,
} from '../operator/commandSupport';
import { parseEntityAddress } from '../operator/entityAddress';
import { collectStats, type EntityStats } from '../operator/entityStats';
import { explainManagementFailure } from '../operator/managementErrors';
import { MANAGEMENT_PORT_UNKNOWN, targetManagement } from '../operator/managementTarget';
import { formatTable, type TableColumn } from '../operator/table';
import { UsageError } from '../operator/usageError';

/** A management request answers in well under a second; a stopped server never does. */
const MANAGEMENT_REQUEST_TIMEOUT_MS = 10 * SECOND_MS;

interface StatsFlags extends ConnectionFlags {
  httpPort?: string;
  json?: boolean;
}

export function registerStatsCommand(program: Command): void {
  const command = program
    .command('stats')
    .description('message counts (active, dead-lettered, scheduled, transfer) per entity')
    .argument(
      '[entity]',
      'queue, topic or <topic>/subscriptions/<name>; all entities when left out',
    )
    .option(
      '--http-port <port>',
      "the emulator's management (HTTP) port (default: 5300 when its AMQP port is 5672)",
    )
    .option('--json', 'one JSON object per entity')
    .addHelpText(
      'after',
      '\nExamples:\n  sbworker stats\n  sbworker stats orders --http-port 5300\n',
    );
  withConnectionOption(command).action(operatorAction(runStats));
}

async function runStats(entity: string | undefined, flags: StatsFlags): Promise<void> {
  const address =
    entity === undefined
      ? undefined
      : parseEntityAddress(
          entity,
          (owner) => `its entity's line counts its letters: sbworker stats ${owner}`,
        );
  const httpPort =
    flags.httpPort === undefined
      ? undefined
      : parseWholeNumber('--http-port', flags.httpPort, 1, 65_535);
  const connection = connectionFor(flags);

  // The same rule as replay's: no request to a port the emulator may not be on.
  const { admin, ...target } = targetManagement(connection, httpPort, {
    requestTimeoutMs: MANAGEMENT_REQUEST_TIMEOUT_MS,
  });
  if (admin === undefined) {
    throw new UsageError(`stats on ${connection.endpoint}: ${MANAGEMENT_PORT_UNKNOWN}`);
  }
  const stats = await collectStats(admin, address).catch((error: unknown) => {
    throw explainManagementFailure(error, target);
  });

  if (flags.json === true) writeOut(jsonLines(stats));
  else if (stats.length === 0) writeOut(`no entities (${connection.endpoint})\n`);
  else writeOut(formatTable(STATS_COLUMNS, stats));
}

const count = (header: string, value: (row: EntityStats) => number | undefined) => ({
  header,
  value: (row: EntityStats) => value(row) ?? '-',
  align: 'right' as const,
});

const STATS_COLUMNS: TableColumn<EntityStats>[] = [
  { header: 'ENTITY', value: (row) => row.entity },
  { header: 'KIND', value: (row) => row.kind },
  count('ACTIVE', (row) => row.active),
  count('DEAD-LETTERED', (row) => row.deadLettered),
  count('SCHEDULED', (row) => row.scheduled),
  count('TRANSFER', (row) => row.transfer),
  count('TRANSFER-DL', (row) => row.transferDeadLettered),
  count('TOTAL', (row) => row.total),
];
