import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it, mock } from 'node:test';

import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import type { LogFields } from '../../src/shared/logger';
import { receiveWithDeadline, retireStalledReceiver } from '../../src/worker/receiveDeadline';
import { collectingLogger } from '../support/collectingLogger';
import { startTestEmulator, testClient } from '../support/emulator';

// The deadline's own logic, on a receiver that behaves as the SDK's does against a broker that
// stopped answering: its receive ends only when its abort signal fires. (The worker process
// against a frozen emulator is in test/reliability/frozenBrokerReceive.test.ts.)
function silentReceiver(): ServiceBusReceiver & { signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  const receiver = {
    signals,
    receiveMessages: (_count: number, options?: { abortSignal?: AbortSignal }) =>
      new Promise<ServiceBusReceivedMessage[]>((_, reject) => {
        const signal = options?.abortSignal;
        if (signal === undefined) return;
        signals.push(signal);
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      }),
  };
  return receiver as unknown as ServiceBusReceiver & { signals: AbortSignal[] };
}

describe('a receive with a deadline', () => {
  it('fails as ReceiveStalled, then ends the stalled call so its receiver can close', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const receiver = silentReceiver();
      let late: Promise<unknown> | undefined;

      const receiving = receiveWithDeadline(receiver, 1, { maxWaitTimeInMs: 1000 }, 2000, (p) => {
        late = p.late;
      });
      const failed = assert.rejects(receiving, { code: 'ReceiveStalled' });
      mock.timers.tick(1000 + 2000 + 5000);
      await failed;

      assert.ok(late !== undefined, 'the stalled call was handed over');
      assert.equal(receiver.signals[0]?.aborted, false, 'it may still hand over messages');
      const ended = assert.rejects(late, /aborted/);
      mock.timers.tick(70_000);
      await ended;
    } finally {
      mock.timers.reset();
    }
  });

  it("follows the caller's signal until it gives up on the call", async () => {
    const receiver = silentReceiver();
    const caller = new AbortController();

    const receiving = receiveWithDeadline(
      receiver,
      1,
      { maxWaitTimeInMs: 60_000, abortSignal: caller.signal },
      60_000,
      () => undefined,
    );
    caller.abort();

    await assert.rejects(receiving, /aborted/);
  });

  // Review AC: the test above showed only the first half. A caller's signal lives as long as
  // its receive loop; a listener left on it per receive would grow for the life of the worker.
  it("lets go of the caller's signal once it has given up on a stalled call", async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const receiver = silentReceiver();
      const caller = new AbortController();

      const receiving = receiveWithDeadline(
        receiver,
        1,
        { maxWaitTimeInMs: 1000, abortSignal: caller.signal },
        2000,
        () => undefined,
      );
      const failed = assert.rejects(receiving, { code: 'ReceiveStalled' });
      mock.timers.tick(1000 + 2000 + 5000);
      await failed;

      assert.equal(getEventListeners(caller.signal, 'abort').length, 0);
      caller.abort();
      assert.equal(receiver.signals[0]?.aborted, false, 'the stalled call is its own now');
    } finally {
      mock.timers.reset();
    }
  });
});

describe('retiring a stalled receiver', () => {
  it('says at debug, with a code, how a stalled receive ended without messages', async () => {
    const emulator = await startTestEmulator({ queues: ['retire-empty'] });
    const client = testClient(emulator.connectionString);
    const lines: Array<{ message: string; fields?: LogFields }> = [];
    const logger = {
      ...collectingLogger(),
      debug: (message: string, fields?: LogFields) => void lines.push({ message, fields }),
    };
    try {
      const receiver = client.createReceiver('retire-empty');
      const call = new AbortController();
      const late = receiver.receiveMessages(1, {
        maxWaitTimeInMs: 30_000,
        abortSignal: call.signal,
      });
      setTimeout(() => call.abort(), 200);

      await retireStalledReceiver(receiver, late, logger);

      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0]?.message, 'A stalled receive ended without messages');
      assert.equal(lines[0]?.fields?.code, 'AbortError');
    } finally {
      await client.close();
      await emulator.close();
    }
  });
});
