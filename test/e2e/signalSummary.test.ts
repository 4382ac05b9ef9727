import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { sendOrders } from '../../src/cli/mainJob/sampleLoader';
import { readSampleOrders } from '../../src/orders/sampleData';
import { startTestMainJob } from './support';

describe('the main job stopped by a signal, with the store in memory', () => {
  it('reports the figures of the run, not those of a freshly opened empty store', async () => {
    const job = await startTestMainJob({ PGLITE_DIR: 'memory' });
    const orders = readSampleOrders().slice(0, 5);
    const client = await job.worker.client('ServiceBusConnection');
    const sender = client.createSender('orders');
    await sendOrders(sender, orders);
    await sender.close();
    assert.equal(await job.waitUntilIdle(), true);

    const report = await job.finish('signal');

    assert.equal(report.invocations.processOrder?.succeeded, orders.length);
    const counted = Object.values(report.summary.orders).reduce((sum, n) => sum + n, 0);
    assert.ok(counted > 0, `orders in the summary: ${JSON.stringify(report.summary.orders)}`);
    assert.ok(report.stock.skusChecked > 0, `${report.stock.skusChecked} SKUs checked`);
  });
});
