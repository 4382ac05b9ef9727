import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusMessage } from '@azure/service-bus';

import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { withKey } from '../support/emulator';
import { drain, peekDeadLetters, sendAndDeadLetter } from './deadLetters';
import { cliEmulatorFor } from './cliEmulator';
import { runCli } from './runCli';

// A key that may read the dead-letter queue but send nowhere.
const LISTEN_ONLY = { name: 'rt-listener', key: 'rt-listen-key', rights: ['Listen' as const] };

describe('sbworker dlq replay checks its target before it locks a letter', () => {
  const fx = cliEmulatorFor({
    queues: [
      { name: 'rt-letters', maxDeliveryCount: 1 },
      { name: 'rt-session-letters', maxDeliveryCount: 1 },
      { name: 'rt-sessions', requiresSession: true },
      'rt-plain',
      { name: 'rt-listen-letters', maxDeliveryCount: 1 },
      'rt-listen-target',
    ],
    topics: [{ name: 'rt-topic', subscriptions: ['rt-all'] }],
    namespace: { policies: [DEVELOPMENT_POLICY, LISTEN_ONLY] },
  });

  const deadLetter = (queue: string, messages: ServiceBusMessage[]): Promise<void> =>
    sendAndDeadLetter(fx.client, queue, messages);

  async function deliveryCounts(queue: string): Promise<(number | undefined)[]> {
    return (await peekDeadLetters(fx.client, queue)).map((letter) => letter.deliveryCount);
  }

  it('leaves the delivery count alone when the target is wrong, three times over', async () => {
    await deadLetter('rt-letters', [
      { body: 'first', messageId: 'rt-1' },
      { body: 'second', messageId: 'rt-2' },
    ]);
    // MaxDeliveryCount 1: each letter was delivered once before the broker dead-lettered it.
    assert.deepEqual(await deliveryCounts('rt-letters'), [1, 1]);

    const missing = await fx.cli(['dlq', 'replay', 'rt-letters', '--all', '--to', 'rt-nosuch']);
    const subscription = await fx.cli([
      'dlq',
      'replay',
      'rt-letters',
      '--all',
      '--to',
      'rt-topic/subscriptions/rt-all',
    ]);
    const sessions = await fx.cli(['dlq', 'replay', 'rt-letters', '--all', '--to', 'rt-sessions']);

    assert.deepEqual(await deliveryCounts('rt-letters'), [1, 1], 'a failed replay counted');
    assert.equal(missing.exitCode, 1);
    assert.equal(
      missing.stderr,
      'sbworker: MessagingEntityNotFound: cannot send to rt-nosuch: The messaging entity' +
        " 'rt-nosuch' could not be found; no dead letter was received\n",
    );
    assert.equal(subscription.exitCode, 2);
    assert.equal(sessions.exitCode, 1);
    assert.match(
      sessions.stderr,
      /^sbworker: SessionIdRequired: rt-sessions requires sessions, but 2 selected dead letter/,
    );
    assert.match(sessions.stderr, /\(sequence numbers 1, 2\); no dead letter was received/);
    // Peeking needs no session receiver: nothing reached the session queue.
    const peeked = await fx.client.createReceiver('rt-sessions').peekMessages(10);
    assert.deepEqual(peeked, []);

    // The letters are still there to replay where they can go.
    const replayed = await fx.cli(['dlq', 'replay', 'rt-letters', '--all', '--to', 'rt-plain']);
    assert.equal(replayed.exitCode, 0, replayed.stderr);
    const copies = await drain(fx.client, 'rt-plain');
    assert.deepEqual(
      copies.map((copy) => copy.messageId),
      ['rt-1', 'rt-2'],
    );
    assert.deepEqual(await deliveryCounts('rt-letters'), []);
  });

  it('replays letters with session ids to a queue that requires sessions', async () => {
    await deadLetter('rt-session-letters', [
      { body: 'a', messageId: 'rs-1', sessionId: 'customer-7' },
    ]);

    const result = await fx.cli([
      'dlq',
      'replay',
      'rt-session-letters',
      '--all',
      '--to',
      'rt-sessions',
    ]);

    assert.equal(result.exitCode, 0, result.stderr);
    const receiver = await fx.client.acceptSession('rt-sessions', 'customer-7', {
      receiveMode: 'receiveAndDelete',
    });
    const [copy] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.close();
    assert.equal(copy?.messageId, 'rs-1');
    assert.equal(copy?.sessionId, 'customer-7');
  });

  it('names the missing Send right and its code, as send does, and receives nothing', async () => {
    await deadLetter('rt-listen-letters', [{ body: 'x', messageId: 'rl-1' }]);
    const listenOnly = withKey(fx.emulator.connectionString, LISTEN_ONLY.name, LISTEN_ONLY.key);
    const asListener = (args: string[]): ReturnType<typeof runCli> =>
      runCli([...args, '--connection-string', listenOnly]);

    const replay = await asListener([
      'dlq',
      'replay',
      'rt-listen-letters',
      '--all',
      '--to',
      'rt-listen-target',
    ]);
    const send = await asListener(['send', 'rt-listen-target', '--body', 'x']);

    // The broker's refusal of a sender link without the Send claim, as Service Bus words it.
    const refusal =
      "UnauthorizedAccess: Unauthorized access. 'Send' claim(s) are required to perform this" +
      " operation. Resource: 'rt-listen-target'";
    assert.equal(replay.exitCode, 1);
    assert.equal(
      replay.stderr,
      `sbworker: ${refusal.replace(': ', ': cannot send to rt-listen-target: ')};` +
        ' no dead letter was received\n',
    );
    assert.equal(send.exitCode, 1);
    // Which connection string lacks the claim, never its key.
    assert.equal(
      send.stderr,
      `sbworker: ${refusal}. (the connection string given with --connection-string, for` +
        ` sb://localhost:${fx.emulator.port})\n`,
    );
    assert.deepEqual(await deliveryCounts('rt-listen-letters'), [1], 'a failed replay counted');
    assert.ok(!replay.stderr.includes(LISTEN_ONLY.key), 'the key is never printed');
  });
});
