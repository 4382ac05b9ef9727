import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isServiceBusError } from '@azure/service-bus';

import { emulatorForSuite } from '../support/emulator';

/** More deliveries than the few a client keeps in flight at any moment. */
const LATER_DELIVERIES = 200;
/** Management and CBS replies and the receiver's own few unsettled deliveries. */
const FEW = 10;

describe('emulator frees deliveries whose lock ended without the client settling them', () => {
  const suite = emulatorForSuite({
    // One delivery, then the expired message is dead-lettered: nothing comes back to the
    // receiver, so the only thing that could keep later deliveries is the first one.
    queues: [{ name: 'held-expiry', lockDurationMs: 1000, maxDeliveryCount: 1 }],
  });

  it('keeps later deliveries bounded; a late settle still gets MessageLockLost', async () => {
    const sender = suite.client.createSender('held-expiry');
    const receiver = suite.client.createReceiver('held-expiry', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    await sender.sendMessages({ body: 'left unsettled' });
    const [held] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(held?.body, 'left unsettled');
    await new Promise((resolve) => setTimeout(resolve, 1300));

    let completed = 0;
    while (completed < LATER_DELIVERIES) {
      await sender.sendMessages(Array.from({ length: 20 }, (_, i) => ({ body: `m${i}` })));
      for (const message of await receiver.receiveMessages(20, { maxWaitTimeInMs: 2000 })) {
        assert.notEqual(message.body, 'left unsettled');
        await receiver.completeMessage(message);
        completed++;
      }
    }
    const heldAfterFlow = suite.emulator.heldDeliveryCount();
    assert.ok(heldAfterFlow < FEW, `${heldAfterFlow} deliveries kept after ${completed} settled`);

    // Service Bus refuses a settlement whose lock is gone; forgetting the delivery must not
    // turn that into silence or an accepted outcome.
    await assert.rejects(
      receiver.completeMessage(held!),
      (error: unknown) => isServiceBusError(error) && error.code === 'MessageLockLost',
    );
    assert.ok(suite.emulator.heldDeliveryCount() < FEW);

    // The link still works after the late settlement.
    await sender.sendMessages({ body: 'after' });
    const [next] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(next?.body, 'after');
    await receiver.completeMessage(next!);
    await receiver.close();
  });
});
