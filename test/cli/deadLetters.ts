import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type {
  ServiceBusClient,
  ServiceBusMessage,
  ServiceBusReceivedMessage,
} from '@azure/service-bus';

import { peekUpTo } from '../../src/cli/operator/peekAll';

/**
 * Makes real dead letters the way a failing handler does: each message is received in
 * peek-lock and abandoned until the broker moves it to the dead-letter queue for exceeding the
 * queue's MaxDeliveryCount.
 */
export async function exhaustDeliveries(
  client: ServiceBusClient,
  queue: string,
  expected: number,
): Promise<void> {
  const receiver = client.createReceiver(queue);
  const deadLetters = client.createReceiver(queue, { subQueueType: 'deadLetter' });
  try {
    for (let round = 0; round < 50; round++) {
      if ((await peekUpTo(deadLetters, expected + 1)).length >= expected) return;
      const messages = await receiver.receiveMessages(100, { maxWaitTimeInMs: 500 });
      for (const message of messages) await receiver.abandonMessage(message);
    }
    throw new Error(`${queue}: fewer than ${expected} dead letters after 50 rounds`);
  } finally {
    await receiver.close();
    await deadLetters.close();
  }
}

/** Sends the messages to the queue, then dead-letters all of them (see `exhaustDeliveries`). */
export async function sendAndDeadLetter(
  client: ServiceBusClient,
  queue: string,
  messages: ServiceBusMessage[],
): Promise<void> {
  const sender = client.createSender(queue);
  await sender.sendMessages(messages);
  await sender.close();
  await exhaustDeliveries(client, queue, messages.length);
}

/** Every message of the queue and of its dead-letter queue, taken out (receive-and-delete). */
export async function drain(
  client: ServiceBusClient,
  queue: string,
  deadLetter = false,
): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(queue, {
    receiveMode: 'receiveAndDelete',
    skipParsingBodyAsJson: true,
    ...(deadLetter ? { subQueueType: 'deadLetter' as const } : {}),
  });
  const all: ServiceBusReceivedMessage[] = [];
  try {
    for (;;) {
      const messages = await receiver.receiveMessages(200, { maxWaitTimeInMs: 500 });
      if (messages.length === 0) return all;
      all.push(...messages);
    }
  } finally {
    await receiver.close();
  }
}

/** The dead letters of a queue, peeked from the start. */
export async function peekDeadLetters(
  client: ServiceBusClient,
  queue: string,
): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(queue, { subQueueType: 'deadLetter' });
  try {
    return await peekUpTo(receiver, Infinity);
  } finally {
    await receiver.close();
  }
}

/**
 * Sends the messages, then dead-letters each one explicitly with `reason`, as a handler that
 * gives up on a message does; quicker than exhausting deliveries for thousands of letters.
 */
export async function sendAndDeadLetterAs(
  client: ServiceBusClient,
  queue: string,
  messages: (ServiceBusMessage | AmqpAnnotatedMessage)[],
  reason: string,
): Promise<void> {
  const sender = client.createSender(queue);
  let batch = await sender.createMessageBatch();
  for (const message of messages) {
    if (batch.tryAddMessage(message)) continue;
    await sender.sendMessages(batch);
    batch = await sender.createMessageBatch();
    if (!batch.tryAddMessage(message)) throw new Error(`${queue}: a message is too large`);
  }
  if (batch.count > 0) await sender.sendMessages(batch);
  await sender.close();

  const receiver = client.createReceiver(queue, { maxAutoLockRenewalDurationInMs: 0 });
  try {
    let dead = 0;
    while (dead < messages.length) {
      const received = await receiver.receiveMessages(500, { maxWaitTimeInMs: 1000 });
      if (received.length === 0) throw new Error(`${queue}: only ${dead} letters dead-lettered`);
      for (const message of received) {
        await receiver.deadLetterMessage(message, {
          deadLetterReason: reason,
          deadLetterErrorDescription: 'dead-lettered by the test',
        });
      }
      dead += received.length;
    }
  } finally {
    await receiver.close();
  }
}
