import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startWorker } from '../../src/worker';
import { startTestEmulator, testClient } from '../support/emulator';
import { captureLogger, REPO_ROOT, spawnWorker, waitFor } from './support';
import { tempApp } from './tempApp';

// Which registered functions the worker runs, as the Functions host decides it at start-up:
// host.json `functions`, the `AzureWebJobs.<name>.Disabled` app setting (Azure's documented
// way to disable a function without a deploy), and SDK-type triggers, which only the host can
// serve. A function not run takes no message: its queue keeps what is sent to it.

const QUEUES = ['fs-kept', 'fs-off', 'fs-sdk', 'fs-manual'];

/** One function per queue; each writes the message it got to stderr (the test reads the log). */
const ENTRY = [
  `const { app } = require('@azure/functions');`,
  `const handler = async (message, context) => { context.log('handled', context.functionName); };`,
  `const on = (queueName, extra = {}) =>`,
  `  ({ connection: 'FsConnection', queueName, handler, ...extra });`,
  `app.serviceBusQueue('kept', on('fs-kept'));`,
  `app.serviceBusQueue('off', on('fs-off'));`,
  `app.serviceBusQueue('sdk', on('fs-sdk', { sdkBinding: true }));`,
  `app.serviceBusQueue('manual', on('fs-manual', { autoCompleteMessages: false }));`,
].join('\n');

function selectionApp(hostJson: Record<string, unknown> = {}): string {
  return tempApp({
    'package.json': JSON.stringify({ main: 'index.js' }),
    'host.json': JSON.stringify({ version: '2.0', ...hostJson }),
    'index.js': ENTRY,
  });
}

/**
 * Stops a worker after its receive links had time to attach: the SDK leaves a 60 s lock timer
 * behind for a link closed while it attaches, which holds the test process open that long.
 */
async function stopOnceAttached(worker: { stop(): Promise<void> }): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  await worker.stop();
}

describe('which functions the worker runs', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({ queues: QUEUES });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  const env = (extra: Record<string, string> = {}) => ({
    FsConnection: emulator.connectionString,
    ...extra,
  });

  it('leaves out functions disabled by AzureWebJobs.<name>.Disabled, SDK triggers', async () => {
    const log = captureLogger();
    const worker = await startWorker({
      appDir: selectionApp(),
      // Any case, as the host reads it; named as written.
      env: env({ 'AzureWebJobs.OFF.Disabled': 'True' }),
      logger: log.logger,
    });
    try {
      assert.deepEqual(
        worker.functions.map((fn) => fn.name),
        ['kept', 'manual'],
      );
      const notHosted = log
        .lines()
        .filter((line) => String(line.msg).endsWith('is not hosted'))
        .map((line) => [line.msg, line.reason]);
      assert.deepEqual(notHosted, [
        ["Function 'off' is not hosted", 'disabled by the setting AzureWebJobs.OFF.Disabled'],
        [
          "Function 'sdk' is not hosted",
          'its trigger is an SDK-type binding (sdkBinding: true), which only the Functions host' +
            ' can provide',
        ],
      ]);
      assert.ok(
        log
          .lines()
          .some((line) =>
            String(line.msg).startsWith("Function 'manual' has autoCompleteMessages false"),
          ),
      );

      for (const queue of ['fs-kept', 'fs-off', 'fs-sdk']) {
        const sender = client.createSender(queue);
        await sender.sendMessages({ body: { queue }, messageId: `${queue}-1` });
        await sender.close();
      }
      await waitFor('the kept function', () =>
        log.lines().find((line) => line.msg === "Executed 'kept' (succeeded)"),
      );
      const executed = log
        .lines()
        .filter((line) => String(line.msg).startsWith('Executed'))
        .map((line) => line.msg);
      assert.deepEqual(executed, ["Executed 'kept' (succeeded)"]);
    } finally {
      await worker.stop();
    }

    // Nothing took the messages of the functions left out: they wait, never delivered.
    for (const queue of ['fs-off', 'fs-sdk']) {
      const [waiting, ...more] = await client.createReceiver(queue).peekMessages(10);
      assert.equal(more.length, 0);
      assert.equal(waiting?.messageId, `${queue}-1`);
      assert.equal(waiting?.deliveryCount, 0);
      // Taken off, so the next tests' workers start on empty queues.
      const receiver = client.createReceiver(queue, { receiveMode: 'receiveAndDelete' });
      await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      await receiver.close();
    }
  });

  it('runs only the functions host.json "functions" lists, names in any case', async () => {
    const log = captureLogger();
    const worker = await startWorker({
      appDir: selectionApp({ functions: ['KEPT'] }),
      env: env({ 'AzureWebJobs.kept.Disabled': 'false' }),
      logger: log.logger,
    });
    try {
      assert.deepEqual(
        worker.functions.map((fn) => fn.name),
        ['kept'],
      );
      const reasons = log
        .lines()
        .filter((line) => String(line.msg).endsWith('is not hosted'))
        .map((line) => line.reason);
      assert.deepEqual(
        reasons,
        Array(3).fill(
          'the "functions" list (host.json or its AzureFunctionsJobHost__functions__N settings) ' +
            'does not name it',
        ),
      );
    } finally {
      await stopOnceAttached(worker);
    }
  });

  it('--check prints only JSON on stdout, with the functions left out and why', () => {
    const cli = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
    const result = spawnSync(
      process.execPath,
      [cli, 'worker', '--app', selectionApp(), '--check'],
      {
        env: { PATH: process.env.PATH, ...env({ 'AzureWebJobs.off.Disabled': '1' }) },
        encoding: 'utf8',
      },
    );

    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      skipped: Array<{ name: string }>;
      warnings: string[];
    };
    assert.deepEqual(
      report.skipped.map((skipped) => skipped.name),
      ['off', 'sdk'],
    );
    // What start-up would warn about is in the report too.
    assert.ok(report.warnings.some((warning) => warning.startsWith("Function 'manual' has")));
    // The library's note about the SDK-type binding is a log line, on stderr.
    assert.match(result.stderr, /EnableDeferredBinding/);
  });

  it('runs all functions for an empty "functions", and takes its items from settings', async () => {
    const all = await startWorker({
      appDir: selectionApp({ functions: [] }),
      env: env(),
      logger: captureLogger().logger,
    });
    await stopOnceAttached(all);
    const fromSetting = await startWorker({
      appDir: selectionApp(),
      env: env({ AzureFunctionsJobHost__functions__0: 'manual' }),
      logger: captureLogger().logger,
    });
    await stopOnceAttached(fromSetting);

    assert.deepEqual(
      all.functions.map((fn) => fn.name),
      ['kept', 'off', 'manual'],
    );
    assert.deepEqual(
      fromSetting.functions.map((fn) => fn.name),
      ['manual'],
    );
  });

  it('runs idle, saying so, when every function is disabled; names unknown ones', async () => {
    const log = captureLogger();
    const disabled = Object.fromEntries(
      ['kept', 'off', 'manual', 'processorder'].map((name) => [
        `AzureWebJobs.${name}.Disabled`,
        '1',
      ]),
    );
    const worker = await startWorker({
      appDir: selectionApp(),
      env: env(disabled),
      logger: log.logger,
    });
    await worker.stop();

    assert.deepEqual(worker.functions, []);
    const warnings = log.lines().filter((line) => line.level === 'warn');
    assert.ok(warnings.some((line) => String(line.msg).startsWith('No Service Bus function runs')));
    const unknown = warnings.find((line) => String(line.msg).startsWith('Settings that disable'));
    assert.deepEqual(unknown?.settings, ['AzureWebJobs.processorder.Disabled']);
  });

  it('keeps a worker process with every function disabled running until a signal', async () => {
    const disabled = { 'AzureWebJobs.kept.Disabled': 'true', 'AzureWebJobs.off.Disabled': '1' };
    const worker = spawnWorker(selectionApp({ functions: ['kept', 'off'] }), env(disabled));
    await worker.waitForLine(
      'ready',
      (line) => line.msg === 'Worker ready: 0 function(s) listening',
    );

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const runningAfterReady = worker.child.exitCode === null;
    worker.child.kill('SIGTERM');
    const exited = await worker.exited;

    assert.ok(runningAfterReady, 'the worker exited by itself');
    assert.deepEqual(exited, { code: 0, signal: null });
  });

  it('refuses a host.json "functions" that is not a list of names', async () => {
    await assert.rejects(
      startWorker({
        appDir: selectionApp({ functions: 'kept' }),
        env: env(),
        logger: captureLogger().logger,
      }),
      (error: Error & { code?: string }) =>
        error.code === 'InvalidConfiguration' &&
        error.message === 'host.json functions must be a list of function names',
    );
  });
});
