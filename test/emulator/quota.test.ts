import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

const QUOTA_BYTES = 4096;

describe('emulator: namespace size quota', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: ['quota-queue'],
      namespace: { namespaceQuotaBytes: QUOTA_BYTES },
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('refuses sends with QuotaExceeded when full and accepts again after receiving', async () => {
    const sender = client.createSender('quota-queue');
    const body = Buffer.alloc(1000, 7);
    let accepted = 0;
    let refusal: unknown;
    for (let i = 0; i < 10 && refusal === undefined; i++) {
      try {
        await sender.sendMessages({ body });
        accepted++;
      } catch (error) {
        refusal = error;
      }
    }
    // Each 1,000-byte body is stored with its properties, so four fit in 4,096 bytes at most.
    assert.ok(accepted >= 3 && accepted <= 4, `accepted ${accepted}`);
    assert.equal((refusal as { code?: string }).code, 'QuotaExceeded');
    // The refusal says that this send would pass the quota, not that the namespace is under it.
    assert.match(
      (refusal as Error).message,
      /would take the namespace past its quota of 4096 bytes/,
    );

    const receiver = client.createReceiver('quota-queue', { receiveMode: 'receiveAndDelete' });
    const drained = await receiver.receiveMessages(accepted, { maxWaitTimeInMs: 1000 });
    assert.equal(drained.length, accepted);
    await sender.sendMessages({ body });
    await receiver.close();
    await sender.close();
  });
});
