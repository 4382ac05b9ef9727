import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import {
  checkRheaSessionShape,
  fixRheaDispositionRanges,
  writeDispositions,
} from '../../src/shared/rheaDispositions';
import { startTestEmulator, testClient } from '../support/emulator';

// Settlements made in one turn of the event loop share disposition frames; each message must
// still end with its own outcome (rhea 3.0.5 gave the second of two neighbours the first's).
describe('settlements of neighbouring deliveries made in one turn', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    fixRheaDispositionRanges();
    emulator = await startTestEmulator({
      queues: [
        'complete-then-abandon',
        'abandon-then-complete',
        'runs',
        { name: 'sessions', requiresSession: true },
      ],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  /** Sends `ids` in order, receives them all on one link, then settles them in one turn. */
  async function settleInOneTurn(
    queue: string,
    ids: string[],
    abandon: (messageId: string) => boolean,
  ): Promise<Array<{ messageId: string; deliveryCount: number }>> {
    await client.createSender(queue).sendMessages(ids.map((id) => ({ body: id, messageId: id })));
    const receiver = client.createReceiver(queue);
    const received: ServiceBusReceivedMessage[] = [];
    while (received.length < ids.length) {
      const batch = await receiver.receiveMessages(ids.length - received.length, {
        maxWaitTimeInMs: 2000,
      });
      received.push(...batch);
    }

    await Promise.all(
      received.map((message) =>
        abandon(String(message.messageId))
          ? receiver.abandonMessage(message)
          : receiver.completeMessage(message),
      ),
    );

    const left = await receiver.peekMessages(ids.length + 1);
    await receiver.close();
    return left.map((m) => ({ messageId: String(m.messageId), deliveryCount: m.deliveryCount! }));
  }

  it('abandons the second of two when the first is completed', async () => {
    const left = await settleInOneTurn('complete-then-abandon', ['a', 'b'], (id) => id === 'b');

    assert.deepEqual(left, [{ messageId: 'b', deliveryCount: 1 }]);
  });

  it('completes the second of two when the first is abandoned', async () => {
    const left = await settleInOneTurn('abandon-then-complete', ['a', 'b'], (id) => id === 'a');

    assert.deepEqual(left, [{ messageId: 'a', deliveryCount: 1 }]);
  });

  it('keeps every outcome in a mixed run of eight', async () => {
    const ids = ['1', '2', '3', '4', '5', '6', '7', '8'];
    const abandoned = new Set(['2', '5', '6']);

    const left = await settleInOneTurn('runs', ids, (id) => abandoned.has(id));

    assert.deepEqual(
      left.map((m) => m.messageId),
      ['2', '5', '6'],
    );
  });

  it('refuses each send that the broker refuses, next to one it accepts', async () => {
    const sender = client.createSender('sessions');

    // Sent together on one link: the broker settles neighbouring transfers in one turn.
    const results = await Promise.allSettled([
      sender.sendMessages({ body: 'no session id 1' }),
      sender.sendMessages({ body: 'ok', sessionId: 's1' }),
      sender.sendMessages({ body: 'no session id 2' }),
    ]);
    await sender.close();

    assert.deepEqual(
      results.map((result) => result.status),
      ['rejected', 'fulfilled', 'rejected'],
    );
    const receiver = await client.acceptSession('sessions', 's1');
    assert.deepEqual(
      (await receiver.peekMessages(5)).map((m) => m.body),
      ['ok'],
    );
    await receiver.close();
  });
});

describe('disposition frames', () => {
  it('joins only neighbours that are both accepted or both without an outcome', () => {
    const written: unknown[] = [];
    const link = { is_receiver: () => true, session: { output: (f: unknown) => written.push(f) } };
    const accepted = { descriptor: { value: 0x24 } };
    const released = { descriptor: { value: 0x26 } };
    const delivery = (id: number, state?: object, settled = true) => ({ id, state, settled, link });
    const deliveries = [
      delivery(1, accepted),
      delivery(2, accepted),
      delivery(3, released),
      delivery(4, released),
      delivery(5, accepted),
      delivery(7, accepted),
      delivery(8),
      delivery(9),
      delivery(10, undefined, false),
    ];

    writeDispositions(deliveries, (fields) => fields);

    const ranges = (written as Array<{ first: number; last: number; state?: object }>).map(
      (frame) => [frame.first, frame.last, frame.state],
    );
    assert.deepEqual(ranges, [
      [1, 2, accepted],
      [3, 3, released],
      [4, 4, released],
      [5, 5, accepted],
      [7, 7, accepted],
      [8, 9, undefined],
      [10, 10, undefined],
    ]);
  });
});

describe("rhea's session shape", () => {
  // rhea does not export a session's halves; a session never opened gives them.
  const halvesOfNewSession = () => {
    const Session = require('rhea/lib/session.js') as new (
      connection: object,
      channel: number,
    ) => { incoming: Record<string, unknown>; outgoing: Record<string, unknown> };
    return new Session({}, 0);
  };

  it('is accepted for the rhea in package-lock.json', () => {
    assert.doesNotThrow(() => checkRheaSessionShape(halvesOfNewSession()));
  });

  it('is refused, naming the queue, when a half lacks its settlement queue', () => {
    for (const [half, queueName] of [
      ['incoming', 'updated'],
      ['outgoing', 'pending_dispositions'],
    ] as const) {
      const session = halvesOfNewSession();
      const changed = Object.create(Object.getPrototypeOf(session[half]) as object) as Record<
        string,
        unknown
      >;
      Object.assign(changed, session[half]);
      delete changed[queueName];
      session[half] = changed;

      assert.throws(
        () => checkRheaSessionShape(session),
        new RegExp(`rhea's session is not as this release knows it \\(no ${queueName} queue\\)`),
      );
    }
  });

  it('is refused when a half cannot update or process settlements', () => {
    const session = halvesOfNewSession();
    session.outgoing = { pending_dispositions: [] };

    assert.throws(() => checkRheaSessionShape(session), /no pending_dispositions queue/);
  });
});
