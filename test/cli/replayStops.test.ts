import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ServiceBusError,
  type ServiceBusMessage,
  type ServiceBusReceiver,
} from '@azure/service-bus';

import { createEntityReceiver } from '../../src/cli/operator/clients';
import { resolveOperatorConnection } from '../../src/cli/operator/connection';
import { parseEntityAddress } from '../../src/cli/operator/entityAddress';
import { withOperatorClient } from '../../src/cli/operator/operatorFailures';
import { replayDeadLetters, type ReplayOptions } from '../../src/cli/operator/replay';
import { createAdministrationClient } from '../../src/shared/adminClient';
import { isAppError } from '../../src/shared/errors';
import { drain, peekDeadLetters, sendAndDeadLetterAs } from './deadLetters';
import { cliEmulatorFor } from './cliEmulator';

function letters(prefix: string, count: number): ServiceBusMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    body: `${prefix}-${index}`,
    messageId: `${prefix}-${index}`,
  }));
}

/** The object with one method replaced; everything else is the real one. */
function withMethod<T extends object>(real: T, name: keyof T, method: unknown): T {
  return new Proxy(real, {
    get: (target, property, receiver) =>
      property === name ? method : (Reflect.get(target, property, receiver) as unknown),
  });
}

describe('a dead-letter replay that stops part-way says how far it got', () => {
  const fx = cliEmulatorFor({
    queues: ['rs-source', 'rs-doomed', 'rs-complete', 'rs-large', 'rs-together'],
  });

  function replayOptions(queue: string, overrides: Partial<ReplayOptions>): ReplayOptions {
    const address = parseEntityAddress(queue);
    return {
      openReceiver: () =>
        createEntityReceiver(fx.client, address, { deadLetter: true, receiveMode: 'peekLock' }),
      sender: fx.client.createSender(queue),
      target: queue,
      select: () => true,
      source: `${queue}/$deadletterqueue`,
      receiveBatchSize: 1,
      ...overrides,
    };
  }

  /** Receivers of the queue's dead letters whose complete is `complete`, given the real one. */
  function completingWith(
    queue: string,
    complete: (real: (message: unknown) => Promise<void>, message: unknown) => Promise<void>,
  ): () => ServiceBusReceiver {
    const address = parseEntityAddress(queue);
    return () => {
      const real = createEntityReceiver(fx.client, address, {
        deadLetter: true,
        receiveMode: 'peekLock',
      });
      const realComplete = real.completeMessage.bind(real) as (m: unknown) => Promise<void>;
      return withMethod(real, 'completeMessage', (message: unknown) =>
        complete(realComplete, message),
      );
    };
  }

  it('names the target when it is deleted during the replay', async () => {
    await sendAndDeadLetterAs(fx.client, 'rs-source', letters('gone', 3), 'Rejected');
    const admin = createAdministrationClient(fx.emulator.connectionString, {
      emulatorHttpPort: fx.emulator.httpPort ?? undefined,
    });
    const realSender = fx.client.createSender('rs-doomed');
    let sends = 0;
    // The second send goes to a queue that was deleted just before it, on the real broker.
    const sender = withMethod(realSender, 'sendMessages', async (...args: unknown[]) => {
      sends += 1;
      if (sends === 2) {
        await admin.deleteQueue('rs-doomed');
        // The delete detaches the sender; a send that crossed the detach would wait out the
        // SDK's operation timeout (README, Known limitations) instead of being refused.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      return (realSender.sendMessages as (...a: unknown[]) => Promise<void>)(...args);
    });

    const result = await replayDeadLetters(
      replayOptions('rs-source', { sender, target: 'rs-doomed' }),
    );
    await realSender.close();

    assert.equal(result.replayed, 1);
    assert.ok(isAppError(result.failure), String(result.failure));
    assert.equal(result.failure.code, 'MessagingEntityNotFound');
    assert.match(result.failure.message, /^rs-doomed was not found when the copies were sent/);
    assert.deepEqual(
      (await peekDeadLetters(fx.client, 'rs-source')).map((letter) => letter.messageId),
      ['gone-1', 'gone-2'],
    );
  });

  it('counts letters whose copy went out but which could not be completed', async () => {
    await sendAndDeadLetterAs(fx.client, 'rs-complete', letters('twice', 3), 'Rejected');
    let completes = 0;
    // The second complete fails, as it does when the lock was lost after the send.
    const openReceiver = completingWith('rs-complete', (complete, message) => {
      completes += 1;
      if (completes === 2) throw new ServiceBusError('The lock was lost', 'MessageLockLost');
      return complete(message);
    });

    const result = await replayDeadLetters(replayOptions('rs-complete', { openReceiver }));

    assert.equal(result.replayed, 1);
    assert.equal((result.failure as ServiceBusError).code, 'MessageLockLost');
    const [, second] = await drain(fx.client, 'rs-complete');
    const stillDead = await peekDeadLetters(fx.client, 'rs-complete');
    assert.deepEqual(
      stillDead.map((letter) => letter.messageId),
      ['twice-1', 'twice-2'],
    );
    // The letter that is now in both places is the one named, by its sequence number.
    assert.equal(second?.messageId, 'twice-1');
    assert.deepEqual(result.sentNotCompleted, [String(stillDead[0]?.sequenceNumber)]);
  });

  it('does not name a batch left unsent after a stop as one that may have arrived', async () => {
    // Two letters that are received together but whose copies need a send batch each (the
    // emulator's limit is 256 KB a message, and so a batch).
    const large = letters('large', 2).map((letter) => ({
      ...letter,
      body: `${String(letter.body)}:${'x'.repeat(150_000)}`,
    }));
    await sendAndDeadLetterAs(fx.client, 'rs-large', large, 'Rejected');
    const signal = new AbortController();
    const stopWaiting = new AbortController();
    // The stop comes while the first batch's original is being completed.
    const openReceiver = completingWith('rs-large', (complete, message) => {
      signal.abort();
      stopWaiting.abort();
      return complete(message);
    });

    const result = await replayDeadLetters(
      replayOptions('rs-large', {
        openReceiver,
        receiveBatchSize: 2,
        signal: signal.signal,
        stopWaiting: stopWaiting.signal,
      }),
    );

    assert.equal(result.interrupted, true);
    assert.deepEqual(result.uncertain, []);
    const copies = await drain(fx.client, 'rs-large');
    assert.deepEqual(
      copies.map((copy) => copy.messageId),
      ['large-0'],
    );
    const stillDead = await peekDeadLetters(fx.client, 'rs-large');
    assert.ok(
      stillDead.some((letter) => letter.messageId === 'large-1'),
      'the letter whose batch was not sent is still dead-lettered',
    );
  });

  it('completes the originals of a sent batch together, not one after another', async () => {
    // One after another, a broker that stops answering costs the SDK's tries once per letter.
    await sendAndDeadLetterAs(fx.client, 'rs-together', letters('together', 3), 'Rejected');
    let pending = 0;
    let mostPending = 0;
    const openReceiver = completingWith('rs-together', async (complete, message) => {
      pending += 1;
      mostPending = Math.max(mostPending, pending);
      try {
        await complete(message);
      } finally {
        pending -= 1;
      }
    });

    const result = await replayDeadLetters(
      replayOptions('rs-together', { openReceiver, receiveBatchSize: 3 }),
    );

    assert.equal(result.replayed, 3);
    assert.equal(mostPending, 3);
    assert.deepEqual(await peekDeadLetters(fx.client, 'rs-together'), []);
    assert.equal((await drain(fx.client, 'rs-together')).length, 3);
  });

  it('reports a broker unreachable behind the SDK retries as a communication problem', async () => {
    const connection = resolveOperatorConnection({
      flag:
        'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;' +
        'UseDevelopmentEmulator=true',
    });
    // What the SDK rejects with after its retries when the broker went away mid-command.
    const attempts = new AggregateError([
      new ServiceBusError('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1', 'GeneralError'),
    ]);

    await assert.rejects(
      withOperatorClient(connection, () => Promise.reject(attempts)),
      (error: unknown) =>
        isAppError(error) &&
        error.code === 'ServiceCommunicationProblem' &&
        error.message.startsWith('could not reach sb://127.0.0.1:1 (ECONNREFUSED)'),
    );
  });
});
