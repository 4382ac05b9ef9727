import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { createLogger } from '../../src/shared/logger';
import { linkCreditOf, takeBackCredit } from '../../src/worker/stoppedReceive';
import { emulatorForSuite } from '../support/emulator';

// The SDK's receive links as the worker reads them at stop, with @azure/service-bus as
// installed: a receive cancelled by its abort signal leaves its credit on the link, and
// takeBackCredit drains it without asking for more.

const READ = 'stopped-receive-read';
const DRAINED = 'stopped-receive-drained';
const NO_CREDIT = 'stopped-receive-no-credit';
const SESSIONS = 'stopped-receive-sessions';
const TRY_TIMEOUT_MS = 5000;
const logger = createLogger({ level: 'error' });
const noStall = (): void => undefined;

/** A receive of `count` that the caller cancels; its rejection is already handled. */
function cancellable(receiver: ServiceBusReceiver, count: number) {
  const controller = new AbortController();
  const receiving = receiver.receiveMessages(count, {
    maxWaitTimeInMs: 60_000,
    abortSignal: controller.signal,
  });
  receiving.catch(() => undefined);
  return { receiving, cancel: () => controller.abort() };
}

/** Cancels the receive and, in the same turn as its end, takes back its credit. */
async function cancelAndTakeBack(
  receiver: ServiceBusReceiver,
  receive: ReturnType<typeof cancellable>,
): Promise<ServiceBusReceivedMessage[]> {
  receive.cancel();
  return receive.receiving.then(
    () => assert.fail('the receive was cancelled'),
    () => takeBackCredit(receiver, TRY_TIMEOUT_MS, noStall, logger),
  );
}

/** The link's credit once it is `expected` (the SDK opens the link and adds credit async). */
async function creditReaching(receiver: ServiceBusReceiver, expected: number) {
  for (let i = 0; i < 100 && linkCreditOf(receiver) !== expected; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return linkCreditOf(receiver);
}

describe('a receive cancelled at stop', () => {
  const suite = emulatorForSuite({
    queues: [
      ...[READ, DRAINED, NO_CREDIT].map((name) => ({ name, lockDurationMs: 30_000 })),
      { name: SESSIONS, requiresSession: true, lockDurationMs: 30_000 },
    ],
  });

  it('leaves its credit on the link, which linkCreditOf reads (queue and session)', async () => {
    const receiver = suite.client.createReceiver(READ);
    assert.equal(linkCreditOf(receiver), undefined, 'no link before the first receive');
    const receive = cancellable(receiver, 5);
    assert.equal(await creditReaching(receiver, 5), 5);
    receive.cancel();
    await receive.receiving.catch(() => undefined);
    assert.equal(linkCreditOf(receiver), 5, 'the cancelled receive kept its credit');
    await receiver.close();
    assert.equal(linkCreditOf(receiver), undefined, 'no open link after close');

    const sender = suite.client.createSender(SESSIONS);
    await sender.sendMessages({ body: 1, sessionId: 's', messageId: 's-1' });
    const session = await suite.client.acceptSession(SESSIONS, 's');
    const [first] = await session.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    await session.completeMessage(first!);
    assert.equal(linkCreditOf(session), 0);
    const waiting = cancellable(session, 1);
    assert.equal(await creditReaching(session, 1), 1);
    assert.deepEqual(await cancelAndTakeBack(session, waiting), []);
    assert.equal(linkCreditOf(session), 0, 'drained');
    await session.close();
    await sender.close();

    assert.equal(linkCreditOf({} as ServiceBusReceiver), undefined, 'no SDK fields');
  });

  it('gives its credit back, so a message sent next goes to another receiver', async () => {
    const stopping = suite.client.createReceiver(DRAINED);
    const receive = cancellable(stopping, 5);
    await creditReaching(stopping, 5);
    assert.deepEqual(await cancelAndTakeBack(stopping, receive), []);
    assert.equal(linkCreditOf(stopping), 0);

    const sender = suite.client.createSender(DRAINED);
    await sender.sendMessages({ body: 1, messageId: 'next' });
    const other = suite.client.createReceiver(DRAINED);
    const [message] = await other.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(message?.messageId, 'next');
    assert.equal(message?.deliveryCount, 0, 'never delivered to the stopped receiver');
    await other.completeMessage(message!);
    await Promise.all([other.close(), stopping.close(), sender.close()]);
  });

  it('asks for nothing on a link without credit, where a receive would add some', async () => {
    const receiver = suite.client.createReceiver(NO_CREDIT);
    const sender = suite.client.createSender(NO_CREDIT);
    await sender.sendMessages({ body: 1, messageId: 'first' });
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    await receiver.completeMessage(first!);
    assert.equal(linkCreditOf(receiver), 0);

    await sender.sendMessages({ body: 2, messageId: 'waiting' });
    const taken = await takeBackCredit(receiver, TRY_TIMEOUT_MS, noStall, logger);
    assert.deepEqual(taken, [], 'the waiting message was not asked for');
    const other = suite.client.createReceiver(NO_CREDIT);
    const [waiting] = await other.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(waiting?.messageId, 'waiting');
    assert.equal(waiting?.deliveryCount, 0);
    await other.completeMessage(waiting!);
    await Promise.all([other.close(), receiver.close(), sender.close()]);
  });
});
