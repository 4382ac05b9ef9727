import { BrokerError, Condition } from '../amqp/wire';
import type { SendTarget } from '../entities/registry';

const BYTES_PER_MEGABYTE = 1024 * 1024;

/**
 * What counts toward a queue's or topic's MaxSizeInMegabytes: the SizeInBytes the management
 * API reports for it. A queue's messages in every state (active, locked, deferred, scheduled)
 * and its dead letters, which Azure's messaging-exceptions page names as a common cause of a
 * full entity; a topic's scheduled messages and each subscription's copies and dead letters.
 * Each store keeps its total, so this walks no messages.
 */
export function entitySizeBytes(target: SendTarget): number {
  if (target.kind === 'queue') return target.store.sizeBytes + target.deadLetter.sizeBytes;
  let total = target.scheduled.sizeBytes;
  for (const sub of target.subscriptions) total += sub.store.sizeBytes + sub.deadLetter.sizeBytes;
  return total;
}

export function maxSizeBytes(target: SendTarget): number {
  return target.config.maxSizeInMegabytes * BYTES_PER_MEGABYTE;
}

/** Whether the entity has reached its size: Azure then refuses sends (and forwards) to it. */
export function isFull(target: SendTarget): boolean {
  return entitySizeBytes(target) >= maxSizeBytes(target);
}

/**
 * The refusal of a send to a full queue or topic, in Azure's words (its messaging-exceptions
 * page and Azure/azure-service-bus#199), which the SDK reports as QuotaExceeded. As there, a
 * send is refused once the size has reached the maximum, so the send that crosses it is still
 * taken (Azure's example reports a size above the maximum).
 */
export function entityFullRefusal(
  target: SendTarget,
  namespaceName: string,
): BrokerError | undefined {
  const sizeBytes = entitySizeBytes(target);
  const limitBytes = maxSizeBytes(target);
  if (sizeBytes < limitBytes) return undefined;

  const kind = target.kind === 'queue' ? 'Queue' : 'Topic';
  return new BrokerError(
    Condition.quotaExceeded,
    `The maximum entity size has been reached or exceeded for ${kind}: ` +
      `'${namespaceName}:${kind}:${target.name}'. Size of entity in bytes:${sizeBytes}, ` +
      `Max entity size in bytes: ${limitBytes}. Receive or purge its messages (dead letters ` +
      'count too), or raise its MaxSizeInMegabytes.',
    403,
  );
}
