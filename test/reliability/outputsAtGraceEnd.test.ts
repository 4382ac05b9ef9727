import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startTestEmulator, testClient } from '../support/emulator';
import { tempApp } from '../worker/tempApp';
import { waitFor } from '../worker/support';
import { installCleanups, onCleanup, startWorkerProcess } from './harness';
import { sleep, spawnEmulator } from './support';

// Review Y: when the grace period ended while a succeeded invocation was still sending its
// outputs, shutdown abandoned its message as if the handler were still running. The outputs
// then went out anyway and the message ran again: two sets of outputs. An invocation whose
// outputs are on their way settles its message itself.

installCleanups();

const GRACE_MS = 1000;

const APP = tempApp({
  'package.json': JSON.stringify({ main: 'index.js' }),
  'host.json': JSON.stringify({ version: '2.0' }),
  'index.js': [
    `const { app, output } = require('@azure/functions');`,
    `const out = output.serviceBusQueue({ connection: 'OutConnection', queueName: 'out' });`,
    `app.serviceBusQueue('jobs', { connection: 'InConnection', queueName: 'jobs',`,
    `  return: out, handler: async (message, context) => {`,
    `    context.log('job started');`,
    `    await new Promise((resolve) => setTimeout(resolve, 300));`,
    `    return 'done-' + context.triggerMetadata.messageId;`,
    `  } });`,
    // Holds the worker open after the grace, as a slow appTerminate hook does.
    `app.hook.appTerminate(() => new Promise((resolve) => setTimeout(resolve, 900)));`,
  ].join('\n'),
});

describe('outputs on their way when the grace period ends', () => {
  it('are sent and their message completed, not abandoned to run again', async () => {
    const jobsBroker = await startTestEmulator({ queues: ['jobs'] });
    onCleanup(() => jobsBroker.close());
    const outBroker = await spawnEmulator({ queues: ['out'] });
    onCleanup(() => outBroker.kill9());
    const worker = await startWorkerProcess(APP, {
      InConnection: jobsBroker.connectionString,
      OutConnection: outBroker.connectionString,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
    const client = testClient(jobsBroker.connectionString);
    onCleanup(() => client.close());
    const sender = client.createSender('jobs');
    const executed = (id: string) => () =>
      worker.lines().find((l) => l.messageId === id && String(l.msg).startsWith('Executed'));

    // A first message opens the output link, so the next send is one transfer.
    await sender.sendMessages({ body: 'warm', messageId: 'warm' });
    await waitFor('the first invocation', executed('warm'), 10_000);

    // The output broker freezes while the handler runs, so its output waits for it.
    await sender.sendMessages({ body: 'job', messageId: 'job-1' });
    await waitFor(
      'the invocation to start',
      () => worker.lines().filter((l) => l.msg === 'job started')[1],
      10_000,
    );
    outBroker.child.kill('SIGSTOP');
    onCleanup(() => outBroker.child.kill('SIGCONT'));
    worker.child.kill('SIGTERM');

    // The grace ends with the output still on its way; the broker answers soon after.
    await waitFor(
      'the grace period to end',
      () => worker.lines().find((l) => String(l.msg).startsWith('Shutting down')),
      5_000,
    );
    await sleep(GRACE_MS + 200);
    outBroker.child.kill('SIGCONT');
    await worker.exited;

    const graceOver = worker.lines().find((l) => String(l.msg).startsWith('Grace period over'));
    assert.equal(graceOver?.abandoned ?? 0, 0, JSON.stringify(graceOver));
    assert.equal(executed('job-1')()?.settlement, 'complete');
    const jobs = client.createReceiver('jobs');
    assert.deepEqual(await jobs.peekMessages(5), [], 'the message is done, not given back');
    const outClient = testClient(outBroker.connectionString);
    onCleanup(() => outClient.close());
    const outputs = await outClient
      .createReceiver('out', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(5, { maxWaitTimeInMs: 2000 });
    const bodies = outputs.map((m) => Buffer.from(m.body as Buffer).toString('utf8'));
    assert.deepEqual(bodies.sort(), ['done-job-1', 'done-warm']);
  });
});
