import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { spawnWorker } from './support';
import { tempApp } from './tempApp';

// App code that throws where nothing can catch it (a timer, a promise nobody awaits) leaves the
// process in an unknown state. As the Functions host's Node.js worker does, the worker exits,
// here with code 1 and a JSON line that a log drain can find, and the platform restarts it.

const CRASH_APP = {
  'package.json': JSON.stringify({ main: 'index.js' }),
  'host.json': JSON.stringify({ version: '2.0' }),
  'index.js': [
    `const { app } = require('@azure/functions');`,
    `app.serviceBusQueue('fromTimer', { connection: 'UcConnection', queueName: 'uc-timer',`,
    `  handler: async () => {`,
    `    setTimeout(() => { throw new Error('boom from a timer'); }, 0); } });`,
    `app.serviceBusQueue('fromPromise', { connection: 'UcConnection', queueName: 'uc-promise',`,
    `  handler: async () => { Promise.reject(new Error('nobody awaits this')); } });`,
    `app.serviceBusQueue('aString', { connection: 'UcConnection', queueName: 'uc-string',`,
    `  handler: async () => { setTimeout(() => { throw 'a plain string'; }, 0); } });`,
  ].join('\n'),
};

describe('an exception the app does not catch', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;
  const appDir = tempApp(CRASH_APP);

  before(async () => {
    emulator = await startTestEmulator({ queues: ['uc-timer', 'uc-promise', 'uc-string'] });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  for (const [queue, origin, error, errorName] of [
    ['uc-timer', 'uncaughtException', 'boom from a timer', 'Error'],
    ['uc-promise', 'unhandledRejection', 'nobody awaits this', 'Error'],
    ['uc-string', 'uncaughtException', 'a plain string', 'string'],
  ] as const) {
    it(`stops the worker with exit code 1 and a JSON line (${origin})`, async () => {
      const worker = spawnWorker(appDir, { UcConnection: emulator.connectionString });
      await worker
        .waitForLine('ready', (line) => String(line.msg).startsWith('Worker ready'))
        .catch((error: unknown) =>
          assert.fail(`${String(error)}: ${worker.stdout()}${worker.stderr()}`),
        );

      const sender = client.createSender(queue);
      await sender.sendMessages({ body: 'crash', messageId: `${queue}-1` });
      await sender.close();
      const { code } = await worker.exited;

      assert.equal(code, 1, worker.stderr());
      const crash = worker
        .lines()
        .find((line) => String(line.msg).startsWith('Worker stopped: an exception was not'));
      assert.equal(crash?.level, 'error');
      assert.equal(crash?.origin, origin);
      assert.equal(crash?.error, error);
      assert.equal(crash?.errorName, errorName);
      // The app's stack, never one of sbworker's own (a string has none).
      if (errorName === 'Error') assert.match(String(crash?.stack), /index\.js/);
      else assert.equal(crash?.stack, undefined);
    });
  }
});
