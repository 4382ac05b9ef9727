import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startTestEmulator, testClient } from '../support/emulator';
import { spawnWorker } from './support';
import { tempApp } from './tempApp';

// Issue 3, item 7: one JSON object a line on stdout, also when the app writes to the console
// (the Node.js Functions worker hands console output to the host as logs).

const APP_CODE = `
const { app } = require('@azure/functions');
console.log('loading %s', 'the app');
app.serviceBusQueue('talky', {
  connection: 'ServiceBusConnection',
  queueName: 'console-q',
  handler: async (message) => {
    console.warn('handling', message);
    console.error(new Error('a handled problem'));
  },
});
`;

describe('console output of the app in a worker process', () => {
  it('becomes JSON log lines at the console method level, nothing raw on stdout', async () => {
    const emulator = await startTestEmulator({ queues: ['console-q'] });
    const client = testClient(emulator.connectionString);
    const appDir = tempApp({ 'package.json': '{"main": "index.js"}', 'index.js': APP_CODE });
    const worker = spawnWorker(appDir, { ServiceBusConnection: emulator.connectionString });
    try {
      await worker.waitForLine('ready', (l) => String(l.msg).startsWith('Worker ready'));
      await client.createSender('console-q').sendMessages({ body: 'job-1', messageId: 'c-1' });
      await worker.waitForLine(
        'the invocation',
        (l) => l.messageId === 'c-1' && l.outcome !== undefined,
      );
      worker.child.kill('SIGTERM');
      await worker.exited;

      const notJson = worker
        .stdout()
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('{'));
      assert.deepEqual(notJson, []);
      const fromConsole = worker
        .lines()
        .filter((l) => l.category === 'console')
        .map((l) => [l.level, String(l.msg).split('\n')[0]]);
      assert.deepEqual(fromConsole, [
        ['info', 'loading the app'],
        ['warn', 'handling job-1'],
        ['error', 'Error: a handled problem'],
      ]);
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await client.close();
      await emulator.close();
    }
  });
});
