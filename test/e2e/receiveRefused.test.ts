import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import {
  type BrokerWithManagement,
  startBrokerWithManagement,
} from '../emulator/http/brokerSupport';
import { testClient } from '../support/emulator';
import { collectingLogger } from '../support/collectingLogger';
import { startTestMainJob } from './support';

const ENTITIES = { queues: ['orders', 'shipments', 'jobs'] };

describe('the main job waiting to be idle while orders is ReceiveDisabled', () => {
  let broker: BrokerWithManagement;
  let client: ServiceBusClient;

  before(async () => {
    broker = await startBrokerWithManagement(ENTITIES);
    client = testClient(broker.connectionString);
    const queue = await broker.admin.getQueue('orders');
    await broker.admin.updateQueue({ ...queue, status: 'ReceiveDisabled' });
    // Peek works on a ReceiveDisabled queue, so the wait sees this message and no receiver.
    await client.createSender('orders').sendMessages({ body: 'waiting', messageId: 'refused-1' });
  });

  after(async () => {
    await client.close();
    await broker.close();
  });

  it('names the refusal at one notice and ends with its code at the next', async () => {
    const job = await startTestMainJob(
      { PGLITE_DIR: 'memory' },
      {
        env: {
          PGLITE_DIR: 'memory',
          LOG_LEVEL: 'error',
          ServiceBusConnection: broker.connectionString,
        },
      },
    );
    const logger = collectingLogger();
    // A wait that the refusal does not end is stopped, so that it fails instead of hanging.
    const signal = AbortSignal.timeout(20_000);
    const wait = job.waitUntilIdle({ signal, logger, noticeAfterMs: 300, noticeEveryMs: 1500 });
    const startedAt = performance.now();
    const failure = await wait.then(
      () => assert.fail('the wait ended as idle'),
      (error: unknown) => error as { code?: string; retryable?: boolean; message?: string },
    );
    const waitedMs = performance.now() - startedAt;
    await job.finish('signal');

    // The emulator refuses as Azure does: MessagingEntityDisabled, not retryable.
    assert.equal(failure.code, 'MessagingEntityDisabled');
    assert.equal(failure.retryable, false);
    assert.match(
      String(failure.message),
      /^processOrder took nothing for \d+ s: Service Bus refuses its receiver \(Receiving from/,
    );
    assert.match(String(failure.message), /ReceiveDisabled.*and orders holds 1 active message/);
    // One notice named it; the next one, a notice interval later, ended the wait.
    assert.equal(logger.warnings.length, 1, JSON.stringify(logger.warnings));
    const notice = logger.warnings[0]!;
    const expected = [
      'Not idle yet: orders holds 1 active message (ready or locked), which processOrder',
      'cannot take: Service Bus refuses its receiver (MessagingEntityDisabled: ',
    ].join(' ');
    assert.equal(notice.message.slice(0, expected.length), expected);
    assert.match(notice.message, /ReceiveDisabled/);
    assert.match(notice.message, /\); if that still holds in 2 s, the run ends with \w+$/);
    assert.deepEqual(
      (notice.fields?.refused as Array<Record<string, unknown>>).map((r) => [r.function, r.code]),
      [['processOrder', 'MessagingEntityDisabled']],
    );
    assert.ok(waitedMs >= 300 + 1500, `ended after ${Math.round(waitedMs)} ms`);
  });
});
