import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { tempApp } from '../worker/tempApp';
import { waitFor } from '../worker/support';
import { installCleanups, isRunning, onCleanup, startWorkerProcess } from './harness';
import { sleep, spawnEmulator } from './support';

// A broker that stops answering without closing the connection (a frozen process, a network
// black hole). @azure/service-bus 7.9.5 then closes a batch receiver's link when its drain
// goes unanswered, never ends that receive, and rejects the close a minute later with nothing
// to catch it. The worker must log the outage, survive the rejection, and process again once
// the broker answers.

installCleanups();

/** The SDK's link close gives up after its fixed 60 s operation timeout. */
const CLOSE_TIMEOUT_MS = 60_000;

const BATCH_APP = tempApp({
  'package.json': JSON.stringify({ main: 'index.js' }),
  // A short tryTimeout makes the receive's deadline (wait + tryTimeout + 5 s) 15 s.
  'host.json': JSON.stringify({
    version: '2.0',
    extensions: {
      serviceBus: { clientRetryOptions: { tryTimeout: '00:00:05', delay: '00:00:01' } },
    },
  }),
  'index.js': [
    `const { app } = require('@azure/functions');`,
    `app.serviceBusQueue('frozenBatch', { connection: 'FrozenConnection',`,
    `  queueName: 'rel-frozen-batch', cardinality: 'many', handler: async () => {} });`,
  ].join('\n'),
});

const SESSION_APP = tempApp({
  'package.json': JSON.stringify({ main: 'index.js' }),
  'host.json': JSON.stringify({ version: '2.0' }),
  'index.js': [
    `const { app } = require('@azure/functions');`,
    `app.serviceBusQueue('frozenSession', { connection: 'FrozenConnection',`,
    `  queueName: 'rel-frozen-sessions', isSessionsEnabled: true, handler: async () => {} });`,
  ].join('\n'),
});

describe('a broker that stops answering under a batch function', () => {
  it('logs the outage, survives the SDK close timeout and processes after', async () => {
    const emulator = await spawnEmulator({ queues: ['rel-frozen-batch'] });
    onCleanup(() => emulator.kill9());
    const worker = await startWorkerProcess(BATCH_APP, {
      FrozenConnection: emulator.connectionString,
    });
    const line = (prefix: string) => () =>
      worker.lines().find((l) => String(l.msg).startsWith(prefix));

    // Frozen while a receive waits on its attached link, as in the field.
    await sleep(2000);
    emulator.child.kill('SIGSTOP');
    onCleanup(() => emulator.child.kill('SIGCONT'));
    const stoppedAt = Date.now();
    const lost = await waitFor('the outage', line('Service Bus connection lost'), 30_000);
    assert.equal(lost.code, 'ReceiveStalled');
    await waitFor(
      "the SDK's close timeout",
      line('The AMQP stack left a failure with nothing to catch it'),
      CLOSE_TIMEOUT_MS + 30_000,
    );
    await sleep(1000);
    assert.ok(isRunning(worker), `the worker stopped ${Date.now() - stoppedAt} ms in`);

    emulator.child.kill('SIGCONT');
    const client = testClient(emulator.connectionString);
    await client.createSender('rel-frozen-batch').sendMessages({ body: 'after', messageId: 'af' });
    await client.close();
    const executed = await waitFor('the invocation', line("Executed 'frozenBatch'"), 30_000);
    assert.deepEqual([executed.outcome, executed.messageIds], ['succeeded', ['af']]);
    assert.ok(worker.lines().some((l) => l.msg === 'Service Bus connection recovered'));
    assert.ok(!worker.lines().some((l) => l.level === 'error'), worker.stdout());
  });

  // The broker, back, finds the session lock expired and detaches the session receiver's link;
  // the SDK leaves that rejection (rhea's AMQP error object, not an Error) unhandled.
  it('survives the detach of a session whose lock ran out while frozen', async () => {
    const emulator = await spawnEmulator({
      queues: [{ name: 'rel-frozen-sessions', requiresSession: true, lockDurationMs: 5000 }],
    });
    onCleanup(() => emulator.kill9());
    const worker = await startWorkerProcess(SESSION_APP, {
      FrozenConnection: emulator.connectionString,
    });
    const line = (prefix: string) => () =>
      worker.lines().find((l) => String(l.msg).startsWith(prefix));
    const client = testClient(emulator.connectionString);
    const sender = client.createSender('rel-frozen-sessions');
    await sender.sendMessages({ body: 'first', messageId: 'fs-1', sessionId: 's1' });
    await waitFor('the first invocation', line("Executed 'frozenSession'"), 10_000);

    emulator.child.kill('SIGSTOP');
    onCleanup(() => emulator.child.kill('SIGCONT'));
    // Past the SDK's 60 s operation timeout: its renewal of the session lock gives up and it
    // closes the session receiver, a close that the broker, back, answers with the detach.
    await sleep(CLOSE_TIMEOUT_MS + 8_000);
    emulator.child.kill('SIGCONT');
    const survived = await waitFor(
      'the unhandled detach',
      line('The AMQP stack left a failure with nothing to catch it'),
      30_000,
    );
    assert.match(String(survived.error), /^com\.microsoft:session-lock-lost: /);

    await sender.sendMessages({ body: 'after', messageId: 'fs-2', sessionId: 's2' });
    await client.close();
    const after = () =>
      worker
        .lines()
        .find(
          (l) => String(l.msg).startsWith("Executed 'frozenSession'") && l.messageId === 'fs-2',
        );
    const executed = await waitFor('the invocation after', after, 30_000);
    assert.equal(executed.outcome, 'succeeded');
    assert.ok(isRunning(worker), 'the worker stopped');
    assert.ok(!worker.lines().some((l) => l.level === 'error'), worker.stdout());
  });
});
