import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import type { ServiceBusReceiver } from '@azure/service-bus';

import { createEntityReceiver } from '../../src/cli/operator/clients';
import { parseEntityAddress } from '../../src/cli/operator/entityAddress';
import { replayDeadLetters } from '../../src/cli/operator/replay';
import { isAppError } from '../../src/shared/errors';
import { testClient } from '../support/emulator';
import { startChildEmulator } from './childEmulator';
import { sendAndDeadLetterAs } from './deadLetters';

const QUEUE = 'ru-letters';

describe('a dead-letter replay whose broker stops answering mid-way', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('ends with ServiceTimeout and its counts instead of waiting for ever', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sbworker-unanswered-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const { child, connection } = await startChildEmulator(dataDir, [QUEUE]);
    cleanups.push(() => child.kill('SIGKILL'));
    const client = testClient(connection);
    cleanups.push(() => client.close());
    const letters = ['a', 'b', 'c'].map((id) => ({ body: id, messageId: `ru-${id}` }));
    await sendAndDeadLetterAs(client, QUEUE, letters, 'Rejected');

    // After the first letter is replayed the broker freezes for 4 s: longer than a receive may
    // take here (0.5 s wait + 1.5 s margin), short enough for the receivers to close after it.
    const address = parseEntityAddress(QUEUE);
    const openReceiver = (): ServiceBusReceiver => {
      const real = createEntityReceiver(client, address, {
        deadLetter: true,
        receiveMode: 'peekLock',
      });
      const complete = real.completeMessage.bind(real);
      real.completeMessage = async (message) => {
        await complete(message);
        child.kill('SIGSTOP');
        setTimeout(() => child.kill('SIGCONT'), 4000);
      };
      return real;
    };
    const startedAt = Date.now();
    const replaying = replayDeadLetters({
      openReceiver,
      sender: client.createSender(QUEUE),
      target: QUEUE,
      select: () => true,
      source: `${QUEUE}/$deadletterqueue`,
      receiveBatchSize: 1,
      maxWaitTimeMs: 500,
      receiveAnswerMarginMs: 1500,
    });
    const result = await replaying;

    assert.equal(result.replayed, 1);
    assert.ok(isAppError(result.failure), String(result.failure));
    assert.equal(result.failure.code, 'ServiceTimeout');
    assert.equal(result.failure.message, 'Service Bus did not answer a receive within 2 s');
    assert.ok(Date.now() - startedAt < 15_000, 'gave up and closed within its bound');
  });
});
