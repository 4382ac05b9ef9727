import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startTestMainJob } from './support';
import { collectingLogger } from '../support/collectingLogger';

const DUE = new Date('2030-01-01T00:00:00Z');

describe('the main job waiting to be idle with a message scheduled far ahead', () => {
  it('keeps waiting, and says which entity holds what and when it is due', async () => {
    const job = await startTestMainJob({ PGLITE_DIR: 'memory' });
    const client = await job.worker.client('ServiceBusConnection');
    const sender = client.createSender('jobs');
    await sender.scheduleMessages({ body: { work: 'later' }, messageId: 'idle-notice-1' }, DUE);
    await sender.close();

    const logger = collectingLogger();
    const stop = new AbortController();
    const waited = setTimeout(() => stop.abort(), 2000);
    const idle = await job.waitUntilIdle({
      signal: stop.signal,
      logger,
      noticeAfterMs: 300,
      noticeEveryMs: 60_000,
    });
    clearTimeout(waited);
    await job.finish('signal');

    // A scheduled message is work still to come: the wait does not end by itself.
    assert.equal(idle, false);
    assert.deepEqual(
      logger.lines.map((line) => line.message),
      ['Not idle yet: jobs holds 1 scheduled message (due 2030-01-01T00:00:00Z)'],
    );
  });
});
