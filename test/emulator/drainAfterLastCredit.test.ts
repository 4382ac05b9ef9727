import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { amqpFrame, flowWindow, RawPeer, type ReceivedFrame } from '../support/rawAmqp';
import {
  startTransferHoldingProxy,
  type TransferHoldingProxy,
} from '../support/transferHoldingProxy';

// Trial B20: a delivery that uses a link's last credit while the client's drain is on its way
// got an answer without `drain`. AMQP 1.0 part 2.6.7 has a draining sender use up its credit
// and then send its flow state with `drain` echoed; rhea fires `receiver_drained` only then,
// and @azure/service-bus 7.9.5 closes the link when that event is 200 ms late.

const RAW_QUEUE = 'drain-race-raw';
const SESSION_QUEUE = 'drain-race-session';
const LINK = 'drain-race-link';
/** Long enough for the receive's credit to reach the emulator before the SDK drains. */
const RECEIVE_WAIT_MS = 500;

describe('emulator answers a drain that crossed the delivery of the last credit', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;
  let proxy: TransferHoldingProxy;
  let viaProxy: ServiceBusClient;
  const peers: RawPeer[] = [];

  before(async () => {
    emulator = await startTestEmulator({
      queues: [RAW_QUEUE, { name: SESSION_QUEUE, requiresSession: true }],
    });
    client = testClient(emulator.connectionString);
    proxy = await startTransferHoldingProxy(emulator.port);
    const port = `:${emulator.port};`;
    viaProxy = testClient(emulator.connectionString.replace(port, `:${proxy.port};`));
  });

  after(async () => {
    for (const peer of peers) peer.destroy();
    await viaProxy.close();
    await client.close();
    await proxy.close();
    await emulator.close();
  });

  /** A raw receiver on RAW_QUEUE with one credit, once that credit brought `messageId`. */
  async function receiverThatUsedItsCredit(messageId: string) {
    await client.createSender(RAW_QUEUE).sendMessages({ body: 'raced', messageId });
    const peer = await RawPeer.open(emulator.port);
    peers.push(peer);
    const handle = await peer.authorise(emulator.port, RAW_QUEUE);
    peer.attach(handle, LINK, true, 'drain-race-in', RAW_QUEUE);
    const attach = await peer.frameWhere((f) => f.name === 'attach' && f.fields.name === LINK);
    assert.ok(attach, 'the emulator attached the link');

    peer.grantCredit(handle, 1);
    // The put-token answer was one transfer, the message is the second.
    assert.ok(await peer.waitFor('transfer', 5000, 2), 'the credit brought the message');
    const isFlowOfLink = (f: ReceivedFrame) =>
      f.name === 'flow' && f.fields.handle === attach.fields.handle;
    return { peer, handle, isFlowOfLink };
  }

  it('echoes drain with no credit left, counting the delivery', async () => {
    const { peer, handle, isFlowOfLink } = await receiverThatUsedItsCredit('raw-1');

    // The drain as a client sends it before it has read the transfer: its delivery count
    // leaves the delivery out, and its credit is the one the delivery used.
    const drain = { handle, delivery_count: 0, link_credit: 1, drain: true };
    peer.write(amqpFrame('flow', { ...flowWindow(), ...drain }));
    const answer = await peer.frameWhere(isFlowOfLink);

    assert.ok(answer, 'the emulator answered the drain');
    assert.equal(answer.fields.drain, true, 'the answer echoes drain');
    assert.equal(answer.fields.link_credit, 0);
    assert.equal(answer.fields.delivery_count, 1, 'the delivery is counted once');
  });

  it('sends no flow for credit given without drain after a drain', async () => {
    const { peer, handle, isFlowOfLink } = await receiverThatUsedItsCredit('raw-2');
    const drain = { handle, delivery_count: 0, link_credit: 1, drain: true };
    peer.write(amqpFrame('flow', { ...flowWindow(), ...drain }));
    assert.ok(await peer.frameWhere(isFlowOfLink), 'the emulator answered the drain');

    // A broker answers a flow only when it drains or is asked to echo: new credit brings the
    // next message and nothing else.
    await client.createSender(RAW_QUEUE).sendMessages({ body: 'next', messageId: 'raw-3' });
    const credit = { handle, delivery_count: 1, link_credit: 1, drain: false };
    peer.write(amqpFrame('flow', { ...flowWindow(), ...credit }));
    assert.ok(await peer.waitFor('transfer', 5000, 3), 'the new credit brought a message');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const flows = peer.frames.filter(isFlowOfLink);
    assert.deepEqual(
      flows.map((flow) => [flow.fields.drain, flow.fields.delivery_count]),
      [[true, 1]],
      'only the drain was answered',
    );
  });

  it('keeps a session link open, so its message can be completed', async () => {
    const sender = client.createSender(SESSION_QUEUE);
    await sender.sendMessages({ body: 'raced', messageId: 'session-1', sessionId: 'race' });
    const receiver = await viaProxy.acceptSession(SESSION_QUEUE, 'race');

    // The proxy keeps the transfer from the SDK until the SDK's drain has left, as a loaded
    // machine does; the emulator then sees the drain after the delivery used the credit.
    proxy.lateTransferThenHold('session-1', 0);
    const messages = await receiver.receiveMessages(1, { maxWaitTimeInMs: RECEIVE_WAIT_MS });
    assert.deepEqual(
      messages.map((message) => message.messageId),
      ['session-1'],
    );

    // A session message can be settled only on its link: a closed one fails the complete.
    await receiver.completeMessage(messages[0]!);
    await receiver.close();
    const left = await client.acceptSession(SESSION_QUEUE, 'race');
    assert.deepEqual(await left.peekMessages(5), [], 'the complete took the message');
    await left.close();
  });
});
