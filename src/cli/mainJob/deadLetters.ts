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

/**
 * Where the operator finds the letters: one `sbworker dlq list` per entity that holds some.
 * Undefined when there are none.
 */
export function deadLetterAdvice(count: DeadLetterCount, embedded: boolean): string | undefined {
  const holding = count.entities.filter((counted) => counted.count > 0);
  if (holding.length === 0) return undefined;

  const places = holding
    .map((counted) => `${counted.count}${counted.more ? '+' : ''} in ${counted.entity}`)
    .join(', ');
  const commands = holding.map(dlqListCommand).join('; ');
  // With --exit-when-idle an embedded run exits right after this line: say how to catch them.
  const where = embedded
    ? '; the embedded emulator keeps them in memory and they are lost when this process' +
      ' exits: to read them, run without --exit-when-idle and list them from another' +
      ' terminal with --connection-string <the connection string above> while it listens'
    : '';
  return `Dead-lettered messages: ${places}; see ${commands}${where}`;
}

/** The operator command reads `ServiceBusConnection` unless told which setting to read. */
function dlqListCommand(counted: EntityDeadLetters): string {
  const setting =
    counted.connection.toLowerCase() === ALIASED_CONNECTION_NAME.toLowerCase()
      ? ''
      : ` --connection-setting ${counted.connection}`;
  return `sbworker dlq list ${counted.entity}${setting}`;
}
