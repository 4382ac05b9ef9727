import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator } from '../support/emulator';
import { spawnWorker, stopWorkerProcess } from './support';
import { tempApp } from './tempApp';

// The host runs the app's appTerminate hooks when it shuts a worker down. A worker whose
// listener fails to start after the appStart hooks ran must run them too, or what those hooks
// opened (the app's database pool) stays open until the process ends.

/** An app whose hooks write files, and whose second trigger's client cannot be made. */
function hookApp(): string {
  return tempApp({
    'package.json': JSON.stringify({ main: 'index.js' }),
    'host.json': JSON.stringify({ version: '2.0' }),
    'index.js': [
      `const { app } = require('@azure/functions');`,
      `const { writeFileSync } = require('node:fs');`,
      `const { join } = require('node:path');`,
      `app.hook.appStart(() => writeFileSync(join(__dirname, 'started'), 'yes'));`,
      `app.hook.appTerminate(() => writeFileSync(join(__dirname, 'terminated'), 'yes'));`,
      `app.serviceBusQueue('first', { connection: 'HookConnection', queueName: 'hooks-first',`,
      `  handler: async () => {} });`,
      `app.serviceBusQueue('second', { connection: 'BadIdentity', queueName: 'hooks-second',`,
      `  handler: async () => {} });`,
    ].join('\n'),
  });
}

describe('worker start-up failure after the appStart hooks', () => {
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startTestEmulator({ queues: ['hooks-first', 'hooks-second'] });
  });

  after(async () => {
    await emulator.close();
  });

  it('runs the appTerminate hooks before it exits with code 1', async () => {
    const appDir = hookApp();
    // @azure/identity refuses a tenant id with a space when the listener's client is made.
    const worker = spawnWorker(appDir, {
      HookConnection: emulator.connectionString,
      BadIdentity__fullyQualifiedNamespace: '127.0.0.1',
      BadIdentity__tenantId: 'not a tenant',
      BadIdentity__clientId: 'client',
      BadIdentity__clientSecret: 'secret',
    });
    after(() => stopWorkerProcess(worker));

    const exit = await worker.exited;

    const output = worker.stdout() + worker.stderr();
    assert.deepEqual(exit, { code: 1, signal: null }, output);
    assert.match(output, /Worker failed to start/);
    assert.ok(existsSync(join(appDir, 'started')), 'the appStart hook ran');
    assert.equal(
      existsSync(join(appDir, 'terminated')) && readFileSync(join(appDir, 'terminated'), 'utf8'),
      'yes',
      'the appTerminate hook ran',
    );
  });
});
