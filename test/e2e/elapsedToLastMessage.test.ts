import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { sendOrders } from '../../src/cli/mainJob/sampleLoader';
import { readSampleOrders } from '../../src/orders/sampleData';
import { startTestMainJob } from './support';

const LISTENING_AFTER_WORK_MS = 1500;
/** The end of processing is noticed within one poll of the worker's counts. */
const CLOCK_SLACK_MS = 100;

describe('the main job stopped long after its work ended', () => {
  it('measures elapsed to the last message, not to the stop, and the rate over it', async () => {
    const beforeStart = performance.now();
    const job = await startTestMainJob({ PGLITE_DIR: 'memory' });
    const orders = readSampleOrders().slice(0, 6);
    const client = await job.worker.client('ServiceBusConnection');
    const sender = client.createSender('orders');
    await sendOrders(sender, orders);
    await sender.close();
    assert.equal(await job.waitUntilIdle(), true);
    const idleAt = performance.now();

    // The README: elapsed runs from the worker being ready to the end of processing. The run
    // goes on listening (as `npm start` does until Ctrl+C); that time is not processing.
    await new Promise((resolve) => setTimeout(resolve, LISTENING_AFTER_WORK_MS));
    const report = await job.finish('signal');

    // The worker was ready at least start-up after beforeStart, and idle by idleAt.
    const processingAtMost = idleAt - (beforeStart + report.startupMs) + CLOCK_SLACK_MS;
    assert.ok(
      report.elapsedMs > 0 && report.elapsedMs <= processingAtMost,
      `elapsed ${report.elapsedMs} ms, processing ended within ${Math.round(processingAtMost)} ms`,
    );
    assert.ok(report.messagesHandled >= orders.length, `${report.messagesHandled} handled`);
    assert.equal(
      report.messagesPerSecond,
      Math.round((report.messagesHandled * 1000) / report.elapsedMs),
    );
  });

  it('reports no elapsed processing when no message came', async () => {
    const job = await startTestMainJob({ PGLITE_DIR: 'memory' });
    assert.equal(await job.waitUntilIdle(), true);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const report = await job.finish('signal');

    assert.equal(report.messagesHandled, 0);
    assert.equal(report.elapsedMs, 0);
    assert.equal(report.messagesPerSecond, 0);
  });
});
