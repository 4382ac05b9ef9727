import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DEVELOPMENT_POLICY } from '../../../src/emulator/config/defaults';
import { signSasToken } from '../../support/sasToken';
import { managedEmulatorForSuite } from './brokerSupport';
import { queueEntry, refusal } from './support';

/** .NET `TimeSpan.MaxValue` as Service Bus writes it: the "never" of TTLs. */
const TIMESPAN_MAX = 'P10675199DT2H48M5.4775807S';
const INT32_MAX = 2_147_483_647;

describe('management API: values Azure refuses in a description', () => {
  const suite = managedEmulatorForSuite();

  /** A PUT with a description the SDK would not write (it serialises numbers itself). */
  async function putQueue(name: string, fields: string): Promise<number> {
    return (await putQueueResponse(name, fields)).status;
  }

  async function putQueueResponse(
    name: string,
    fields: string,
  ): Promise<{ status: number; text: string }> {
    const { name: keyName, key } = DEVELOPMENT_POLICY;
    const root = `http://127.0.0.1:${suite.broker.httpPort}/`;
    const expiry = Math.floor(Date.now() / 1000) + 600;
    const response = await fetch(`${root}${name}`, {
      method: 'PUT',
      body: queueEntry(fields),
      headers: {
        authorization: signSasToken(root, expiry, keyName, key),
        'content-type': 'application/atom+xml',
      },
    });
    return { status: response.status, text: await response.text() };
  }

  it('takes MaxDeliveryCount up to the int32 maximum and refuses one more', async () => {
    await refusal(suite.admin.createQueue('dv-mdc-big', { maxDeliveryCount: INT32_MAX + 1 }), 400);
    const largest = await suite.admin.createQueue('dv-mdc-max', { maxDeliveryCount: INT32_MAX });

    assert.equal(largest.maxDeliveryCount, INT32_MAX);
  });

  it('reads MaxDeliveryCount as an XML int: decimal digits only', async () => {
    assert.equal(await putQueue('dv-hex', '<MaxDeliveryCount>0x10</MaxDeliveryCount>'), 400);
    assert.equal(await putQueue('dv-exp', '<MaxDeliveryCount>1e3</MaxDeliveryCount>'), 400);
    assert.equal(await putQueue('dv-zeros', '<MaxDeliveryCount>016</MaxDeliveryCount>'), 201);

    assert.equal((await suite.admin.getQueue('dv-zeros')).maxDeliveryCount, 16);
  });

  // Trial AS: an empty element was taken as absent, so the queue got the default (10).
  it('refuses an empty MaxDeliveryCount element, which is no XML int', async () => {
    for (const [name, element] of [
      ['dv-mdc-empty', '<MaxDeliveryCount></MaxDeliveryCount>'],
      ['dv-mdc-self', '<MaxDeliveryCount/>'],
    ] as const) {
      const response = await putQueueResponse(name, element);
      assert.equal(response.status, 400, element);
      assert.match(response.text, /The value of MaxDeliveryCount is not valid/);
    }
    await refusal(suite.admin.getQueue('dv-mdc-empty'), 404);
  });

  it('refuses a TTL over TimeSpan.MaxValue and keeps the maximum itself as never', async () => {
    const over = { defaultMessageTimeToLive: 'P10675200D' };
    await refusal(suite.admin.createQueue('dv-ttl-over', over), 400);
    const never = await suite.admin.createQueue('dv-ttl-max', {
      defaultMessageTimeToLive: TIMESPAN_MAX,
    });

    assert.equal(never.defaultMessageTimeToLive, TIMESPAN_MAX);
  });

  // Trial AS: one tick over rounded to the same millisecond as the maximum and was taken.
  it('compares with TimeSpan.MaxValue in ticks: one tick over is refused', async () => {
    const oneTickOver = 'P10675199DT2H48M5.4775808S';
    await refusal(
      suite.admin.createQueue('dv-ttl-tick', { defaultMessageTimeToLive: oneTickOver }),
      400,
    );
    await refusal(suite.admin.createQueue('dv-idle-tick', { autoDeleteOnIdle: oneTickOver }), 400);
    const idle = await suite.admin.createQueue('dv-idle-max', { autoDeleteOnIdle: TIMESPAN_MAX });

    assert.equal(idle.autoDeleteOnIdle, TIMESPAN_MAX);
  });

  // Trial CN: PT1M was taken. Azure documents "The minimum duration is 5 minutes".
  it('refuses AutoDeleteOnIdle under 5 minutes on a queue, topic and subscription', async () => {
    const short = { autoDeleteOnIdle: 'PT4M59S' };
    const queue = await refusal(suite.admin.createQueue('dv-idle-short', short), 400);
    assert.match(queue, /AutoDeleteOnIdle is not valid: expected at least PT5M/);
    await refusal(suite.admin.createTopic('dv-idle-short-t', short), 400);
    await suite.admin.createTopic('dv-idle-t');
    await refusal(
      suite.admin.createSubscription('dv-idle-t', 's', { autoDeleteOnIdle: 'PT1M' }),
      400,
    );

    const least = await suite.admin.createSubscription('dv-idle-t', 'five', {
      autoDeleteOnIdle: 'PT5M',
    });
    assert.equal(least.autoDeleteOnIdle, 'PT5M');
    assert.equal(await suite.admin.subscriptionExists('dv-idle-t', 's'), false);
    assert.equal(await suite.admin.queueExists('dv-idle-short'), false);
  });

  it('drops a slash after a ForwardTo name and forwards to that entity', async () => {
    await suite.admin.createQueue('dv-target');
    assert.equal(await putQueue('dv-source', '<ForwardTo>dv-target/</ForwardTo>'), 201);

    const source = await suite.admin.getQueue('dv-source');
    assert.match(source.forwardTo ?? '', /\/dv-target$/);
    const sender = suite.client.createSender('dv-source');
    await sender.sendMessages({ body: 'forwarded' });
    await sender.close();
    const receiver = suite.client.createReceiver('dv-target');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    await receiver.close();
    assert.equal(message?.body, 'forwarded');
  });
});
