import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

describe('emulator $management operations and competing receivers', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: ['mgmt-peek', 'mgmt-schedule', 'mgmt-schedule-send', 'mgmt-compete'],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('peeks in pages with a cursor and leaves messages in place', async () => {
    await client
      .createSender('mgmt-peek')
      .sendMessages(Array.from({ length: 7 }, (_, i) => ({ body: i })));
    const receiver = client.createReceiver('mgmt-peek');
    const first = await receiver.peekMessages(3);
    const second = await receiver.peekMessages(3);
    const third = await receiver.peekMessages(3);
    const fourth = await receiver.peekMessages(3);
    assert.deepEqual(
      first.map((m) => m.body),
      [0, 1, 2],
    );
    assert.deepEqual(
      second.map((m) => m.body),
      [3, 4, 5],
    );
    assert.deepEqual(
      third.map((m) => m.body),
      [6],
    );
    assert.deepEqual(fourth, []);

    const fromStart = await receiver.peekMessages(2, {
      fromSequenceNumber: first[0]!.sequenceNumber!,
    });
    assert.deepEqual(
      fromStart.map((m) => m.body),
      [0, 1],
    );
    const all = await receiver.receiveMessages(7, { maxWaitTimeInMs: 1000 });
    assert.equal(all.length, 7);
    await Promise.all(all.map((m) => receiver.completeMessage(m)));
    await receiver.close();
  });

  it('schedules messages, peeks them, cancels one and delivers the other on time', async () => {
    const sender = client.createSender('mgmt-schedule');
    const at = new Date(Date.now() + 700);
    const [keep, cancel] = await sender.scheduleMessages(
      [{ body: 'keep' }, { body: 'cancel' }],
      at,
    );
    assert.ok(keep && cancel);
    await sender.cancelScheduledMessages(cancel);

    const receiver = client.createReceiver('mgmt-schedule', { receiveMode: 'receiveAndDelete' });
    const peeked = await receiver.peekMessages(5);
    assert.deepEqual(
      peeked.map((m) => [m.body, m.state]),
      [['keep', 'scheduled']],
    );
    assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 }), []);

    const [due] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3000 });
    assert.equal(due?.body, 'keep');
    assert.ok(Date.now() >= at.getTime() - 5);
    await receiver.close();
  });

  it('holds a message sent with scheduledEnqueueTimeUtc until its time', async () => {
    const at = new Date(Date.now() + 600);
    await client
      .createSender('mgmt-schedule-send')
      .sendMessages({ body: 'later', scheduledEnqueueTimeUtc: at });
    const receiver = client.createReceiver('mgmt-schedule-send', {
      receiveMode: 'receiveAndDelete',
    });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3000 });
    assert.equal(message?.body, 'later');
    assert.ok(Date.now() >= at.getTime() - 5);
    await receiver.close();
  });

  it('gives each message to one of several competing receivers at a time', async () => {
    const total = 40;
    const otherClient = testClient(emulator.connectionString);
    const receivers = [
      client.createReceiver('mgmt-compete'),
      otherClient.createReceiver('mgmt-compete'),
    ];
    const seen = new Map<number, number>();
    const perReceiver = [0, 0];

    const done = new Promise<void>((resolve, reject) => {
      receivers.forEach((receiver, index) => {
        receiver.subscribe(
          {
            processMessage: async (message: ServiceBusReceivedMessage) => {
              seen.set(message.body as number, (seen.get(message.body as number) ?? 0) + 1);
              perReceiver[index]!++;
              await new Promise((r) => setTimeout(r, 5));
              if (seen.size === total) resolve();
            },
            processError: async (args) => reject(args.error),
          },
          { maxConcurrentCalls: 2 },
        );
      });
    });
    // subscribe() attaches in the background; let both links reach the broker first.
    await new Promise((r) => setTimeout(r, 500));
    await client
      .createSender('mgmt-compete')
      .sendMessages(Array.from({ length: total }, (_, i) => ({ body: i })));
    await done;
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await otherClient.close();

    assert.equal(seen.size, total);
    assert.ok([...seen.values()].every((count) => count === 1));
    assert.ok(perReceiver[0]! > 0 && perReceiver[1]! > 0, `split ${perReceiver.join('/')}`);
  });
});
