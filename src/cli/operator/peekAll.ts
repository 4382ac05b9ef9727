import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import Long from 'long';

const PEEK_PAGE_SIZE = 100;

/**
 * Peeks up to `maxCount` messages from the start of the entity (Infinity: all of them). The
 * broker may return fewer than asked per call, so it pages until a call returns none. The
 * start is always given: without it the SDK continues from a cursor that every receiver of the
 * same client and entity shares.
 */
export async function peekUpTo(
  receiver: ServiceBusReceiver,
  maxCount: number,
): Promise<ServiceBusReceivedMessage[]> {
  const messages: ServiceBusReceivedMessage[] = [];
  let fromSequenceNumber = Long.ZERO;

  while (messages.length < maxCount) {
    const pageSize = Math.min(PEEK_PAGE_SIZE, maxCount - messages.length);
    const page = await receiver.peekMessages(pageSize, { fromSequenceNumber });
    if (page.length === 0) break;

    messages.push(...page);
    const last = page[page.length - 1]?.sequenceNumber;
    if (last === undefined) break;
    fromSequenceNumber = last.add(1);
  }

  return messages;
}
