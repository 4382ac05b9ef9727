import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { emulatorForSuite } from '../support/emulator';
import { spawnWorker } from './support';
import { tempApp } from './tempApp';

// `app.hook.log` as Azure's Node.js worker runs it: a hook may change a user line's message and
// level; a hook that throws leaves that line as it was and fails nothing (the worker catches it
// "so that user hooks can't prevent system logs").

const APP_CODE = `
const { app } = require('@azure/functions');
app.hook.log((context) => {
  if (context.message.includes('boom')) throw new Error('log hook failure');
  context.message = context.message.replace(/secret=\\S+/, 'secret=***');
  if (context.message.startsWith('promote')) context.level = 'warning';
});
app.serviceBusQueue('hooked', {
  connection: 'ServiceBusConnection',
  queueName: 'log-hooks',
  handler: async (message, context) => {
    context.log('promote me, secret=hunter2');
    context.log('boom goes the hook');
    context.warn('last line');
  },
});
`;

describe('log hooks', () => {
  const suite = emulatorForSuite({ queues: [{ name: 'log-hooks', maxDeliveryCount: 1 }] });

  it('rewrite user lines; one that throws neither drops the line nor fails the call', async () => {
    const sender = suite.client.createSender('log-hooks');
    await sender.sendMessages({ body: 'x', messageId: 'hooked-1' });
    await sender.close();
    const app = tempApp({ 'package.json': '{"main": "index.js"}', 'index.js': APP_CODE });
    const worker = spawnWorker(app, { ServiceBusConnection: suite.emulator.connectionString });
    try {
      await worker.waitForLine('the invocation line', (l) => l.outcome !== undefined);
      worker.child.kill('SIGTERM');
      assert.equal((await worker.exited).code, 0, worker.stderr());
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }

    const userLines = worker
      .lines()
      .filter((l) => l.function === 'hooked' && l.category === 'user')
      .map((l) => [l.level, l.msg]);
    assert.deepEqual(userLines, [
      ['warn', 'promote me, secret=***'],
      ['info', 'boom goes the hook'],
      ['warn', 'last line'],
    ]);
    const invocation = worker.lines().find((l) => l.outcome !== undefined);
    assert.equal(invocation?.outcome, 'succeeded');
    const receiver = suite.client.createReceiver('log-hooks', { subQueueType: 'deadLetter' });
    assert.deepEqual(await receiver.peekMessages(1), []);
    await receiver.close();
  });
});
