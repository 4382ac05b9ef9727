import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DuplicateDetector } from '../../../src/emulator/entities/duplicates';
import { managedEmulatorForSuite } from './brokerSupport';

const MINUTE_MS = 60_000;

describe('duplicate detection across a window update', () => {
  const suite = managedEmulatorForSuite();
  const options = {
    requiresDuplicateDetection: true,
    duplicateDetectionHistoryTimeWindow: 'PT10M',
  };

  it('still drops a queue message id seen before the window was widened', async () => {
    await suite.admin.createQueue('dupwin-q', options);
    const sender = suite.client.createSender('dupwin-q');
    await sender.sendMessages({ body: 'first', messageId: 'order-1' });

    const queue = await suite.admin.getQueue('dupwin-q');
    await suite.admin.updateQueue({ ...queue, duplicateDetectionHistoryTimeWindow: 'PT1H' });
    await sender.sendMessages({ body: 'again', messageId: 'order-1' });
    await sender.close();

    const counts = await suite.admin.getQueueRuntimeProperties('dupwin-q');
    assert.equal(counts.activeMessageCount, 1);
  });

  it('still drops a topic message id seen before the window was widened', async () => {
    await suite.admin.createTopic('dupwin-t', options);
    await suite.admin.createSubscription('dupwin-t', 'all');
    const sender = suite.client.createSender('dupwin-t');
    await sender.sendMessages({ body: 'first', messageId: 'order-1' });

    const topic = await suite.admin.getTopic('dupwin-t');
    await suite.admin.updateTopic({ ...topic, duplicateDetectionHistoryTimeWindow: 'PT1H' });
    await sender.sendMessages({ body: 'again', messageId: 'order-1' });
    await sender.close();

    const counts = await suite.admin.getSubscriptionRuntimeProperties('dupwin-t', 'all');
    assert.equal(counts.activeMessageCount, 1);
  });
});

describe('DuplicateDetector.changeWindow', () => {
  it('keeps ids inside the new window and lets older ones go when it shrinks', () => {
    const detector = new DuplicateDetector(10 * MINUTE_MS);
    detector.isDuplicate('old', 0);
    detector.isDuplicate('recent', 5 * MINUTE_MS);

    detector.changeWindow(60 * MINUTE_MS);
    assert.equal(detector.isDuplicate('old', 30 * MINUTE_MS), true);

    detector.changeWindow(20 * MINUTE_MS);
    assert.equal(detector.isDuplicate('recent', 24 * MINUTE_MS), true);
    assert.equal(detector.isDuplicate('old', 24 * MINUTE_MS), false);
  });
});
