import type { ServiceBusClient, ServiceBusReceiver } from '@azure/service-bus';

import { ALIASED_CONNECTION_NAME } from '../../worker/connectionValues';
import type { ServiceBusFunction } from '../../worker/functionPlan';
import { describeError } from '../describeError';
import { peekPages } from '../operator/peekAll';

/**
 * Letters counted per dead-letter queue at most: the count is a peek from the broker, and a
 * queue holding a million letters must not hold the summary (and the exit) for minutes.
 */
const DEAD_LETTER_COUNT_LIMIT = 10_000;

/** What one trigger entity's dead-letter queue holds at the end of the run. */
export interface EntityDeadLetters {
  /** The entity as `sbworker dlq` takes it: `orders`, `events/subscriptions/audit`. */
  entity: string;
  /** The setting the function's connection comes from (`ServiceBusConnection` by default). */
  connection: string;
  count: number;
  /** The count stopped at its limit (`DEAD_LETTER_COUNT_LIMIT`): there are more. */
  more: boolean;
}

/**
 * The dead letters in the queues the functions read, from the broker; `error` says why they
 * could not be counted (the summary then shows them as unknown instead of failing).
 */
export interface DeadLetterCount {
  total: number | null;
  more: boolean;
  entities: EntityDeadLetters[];
  error?: string;
}

/** The part of a running worker the count needs: its functions and its clients. */
export interface DeadLetterSource {
  readonly functions: ReadonlyArray<Pick<ServiceBusFunction, 'entity' | 'connectionName'>>;
  client(connectionName: string): Promise<ServiceBusClient>;
}

/**
 * Peeks the dead-letter queue of every entity a function is triggered by, through the
 * worker's own clients (so it needs only the Listen right the worker has), up to `limit`
 * letters each. Each entity is counted once, however many functions read it.
 */
export async function countDeadLetters(
  worker: DeadLetterSource,
  limit = DEAD_LETTER_COUNT_LIMIT,
): Promise<DeadLetterCount> {
  const entities: EntityDeadLetters[] = [];
  const seen = new Set<string>();
  try {
    for (const fn of worker.functions) {
      const entity =
        fn.entity.kind === 'queue'
          ? fn.entity.queueName
          : `${fn.entity.topicName}/subscriptions/${fn.entity.subscriptionName}`;
      const key = `${fn.connectionName}\n${entity.toLowerCase()}`;
      if (seen.has(key)) continue;
      seen.add(key);

      const client = await worker.client(fn.connectionName);
      const options = { subQueueType: 'deadLetter' as const };
      const receiver =
        fn.entity.kind === 'queue'
          ? client.createReceiver(fn.entity.queueName, options)
          : client.createReceiver(fn.entity.topicName, fn.entity.subscriptionName, options);
      entities.push({
        entity,
        connection: fn.connectionName,
        ...(await countPeeked(receiver, limit)),
      });
    }
  } catch (error) {
    return { total: null, more: false, entities, error: describeError(error) };
  }

  return {
    total: entities.reduce((sum, counted) => sum + counted.count, 0),
    more: entities.some((counted) => counted.more),
    entities,
  };
}

async function countPeeked(
  receiver: ServiceBusReceiver,
  limit: number,
): Promise<{ count: number; more: boolean }> {
  let count = 0;
  try {
    // One more than the limit tells "exactly the limit" from "more than it".
    for await (const page of peekPages(receiver, limit + 1)) count += page.length;
  } finally {
    await receiver.close();
  }
  return { count: Math.min(count, limit), more: count > limit };
}

/** `1`, `10000+`, or `unknown` when the broker could not be asked. */
export function deadLetterText(count: DeadLetterCount): string {
  if (count.total === null) return 'unknown';
  return `${count.total}${count.more ? '+' : ''}`;
}

/** How the run that counted the letters ran, which decides where they can still be read. */
interface DeadLetterRun {
  /** The embedded emulator held them, in memory: they go with this process. */
  embedded: boolean;
  ended: 'idle' | 'signal';
}

/**
 * Where the operator finds the letters: one `sbworker dlq list` per entity that holds some,
 * with what it needs to reach them. Undefined when there are none.
 */
export function deadLetterAdvice(count: DeadLetterCount, run: DeadLetterRun): string | undefined {
  const holding = count.entities.filter((counted) => counted.count > 0);
  if (holding.length === 0) return undefined;

  const places = holding
    .map((counted) => `${counted.count}${counted.more ? '+' : ''} in ${counted.entity}`)
    .join(', ');
  if (!run.embedded) return `Dead-lettered messages: ${places}; see ${dlqCommands(holding)}`;

  // The line comes as the process exits: no command can reach the embedded emulator after it,
  // so the advice is for the next run.
  const listed = dlqCommands(holding, '"<the connection string printed at start-up>"');
  const readThem =
    run.ended === 'idle'
      ? 'run without --exit-when-idle and, while it listens, list them from another terminal'
      : 'list them from another terminal before stopping the run';
  return (
    `Dead-lettered messages: ${places}; the embedded emulator keeps them in memory, so they ` +
    'are gone once this process exits. To keep them, run `sbworker emulator --config ' +
    'sample-data/emulator-config.json --data-dir <folder>` and point ServiceBusConnection at ' +
    'the connection string it prints (README: Keeping messages between runs); to read ' +
    `them in a run like this one, ${readThem}: ${listed}`
  );
}

/**
 * The operator commands that list the letters: through the connection string when given (the
 * embedded emulator, which no setting names), else through the function's connection setting.
 */
function dlqCommands(holding: EntityDeadLetters[], connectionString?: string): string {
  return holding
    .map((counted) =>
      connectionString === undefined
        ? dlqListCommand(counted)
        : `sbworker dlq list ${counted.entity} --connection-string ${connectionString}`,
    )
    .join('; ');
}

/** The operator command reads `ServiceBusConnection` unless told which setting to read. */
function dlqListCommand(counted: EntityDeadLetters): string {
  const setting =
    counted.connection.toLowerCase() === ALIASED_CONNECTION_NAME.toLowerCase()
      ? ''
      : ` --connection-setting ${counted.connection}`;
  return `sbworker dlq list ${counted.entity}${setting}`;
}
