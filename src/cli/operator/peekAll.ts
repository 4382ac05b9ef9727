import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import Long from 'long';

import { withOwnSignal } from './waitBounds';

const PEEK_PAGE_SIZE = 100;

/**
 * Peeks up to `maxCount` messages from the start of the entity (Infinity: all of them), one
 * page at a time, so a caller that keeps only what it needs holds one page in memory. The
 * broker may return fewer than asked per call, so it pages until a call returns none. The
 * start is always given: without it the SDK continues from a cursor that every receiver of the
 * same client and entity shares. Aborting `abortSignal` rejects the peek in progress.
 */
export async function* peekPages(
  receiver: ServiceBusReceiver,
  maxCount = Infinity,
  abortSignal?: AbortSignal,
): AsyncGenerator<ServiceBusReceivedMessage[]> {
  let fromSequenceNumber = Long.ZERO;
  let peeked = 0;

  while (peeked < maxCount) {
    const pageSize = Math.min(PEEK_PAGE_SIZE, maxCount - peeked);
    const page = await withOwnSignal(abortSignal, (signal) =>
      receiver.peekMessages(pageSize, { fromSequenceNumber, abortSignal: signal }),
    );
    if (page.length === 0) return;

    peeked += page.length;
    yield page;
    const last = page[page.length - 1]?.sequenceNumber;
    if (last === undefined) return;
    fromSequenceNumber = last.add(1);
  }
}

/** Every message `peekPages` finds, in one array. */
export async function peekUpTo(
  receiver: ServiceBusReceiver,
  maxCount: number,
): Promise<ServiceBusReceivedMessage[]> {
  const messages: ServiceBusReceivedMessage[] = [];
  for await (const page of peekPages(receiver, maxCount)) messages.push(...page);
  return messages;
}
