import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { readSampleOrders } from '../../src/orders/sampleData';
import { startTestEmulator, testClient } from '../support/emulator';
import { REPO_ROOT, spawnWorker, stopWorkerProcess } from './support';

// This project's own function app in real `sbworker` processes: a wrong order-job setting
// stops `worker --check` and the worker itself while the app loads, naming the setting, so no
// message is ever taken. The emulator runs on a free port and the connection is set, so the
// worker never starts its embedded one.

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const PASSWORD = 'pw-5c1d-stays-out-of-output';

const invalidSettings: Array<[setting: string, value: string, what: string]> = [
  ['DATABASE_SSL', 'bogus', 'an unknown mode'],
  ['DATABASE_POOL_SIZE', '0', 'zero'],
  ['DATABASE_URL', 'garbage', 'not a URL'],
  ['DATABASE_URL', `mysql://orders:${PASSWORD}@127.0.0.1:3306/orders`, 'a mysql:// URL'],
  ['DATABASE_URL', '<postgres://user:password@host:5432/database>', 'the example placeholder'],
  ['SIMULATED_WORK_MS', 'abc', 'not a number'],
  ['STARTING_STOCK_FILE', join(REPO_ROOT, 'no-such-stock.json'), 'a missing file'],
];

let emulator: RunningEmulator;
let client: ServiceBusClient;

function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ServiceBusConnection: emulator.connectionString,
    PGLITE_DIR: 'memory',
    LOG_LEVEL: 'info',
  };
}

function check(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'worker', '--check', '--app', REPO_ROOT],
      { env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const isReady = (line: Record<string, unknown>) => String(line.msg).startsWith('Worker ready');

/** Sends one real order from the sample data to the orders queue and returns it. */
async function sendSampleOrder(index: number) {
  const order = readSampleOrders()[index];
  assert.ok(order !== undefined);
  const sender = client.createSender('orders');
  await sender.sendMessages({
    body: order,
    messageId: order.orderId,
    contentType: 'application/json',
  });
  await sender.close();
  return order;
}

describe('order-job settings at worker start-up', () => {
  before(async () => {
    emulator = await startTestEmulator({
      queues: [{ name: 'orders', lockDurationMs: 5000, maxDeliveryCount: 3 }, 'shipments', 'jobs'],
    });
    client = testClient(emulator.connectionString);
  });
  after(async () => {
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await emulator.close();
  });

  for (const [setting, value, what] of invalidSettings) {
    it(`sbworker worker --check exits 1 naming ${setting} when it is ${what}`, async () => {
      const result = await check({ ...baseEnv(), [setting]: value });

      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, new RegExp(`^sbworker: InvalidConfiguration: .*${setting}`));
      assert.equal(result.stdout, '', 'no report of settings in effect');
      assert.ok(!result.stderr.includes(PASSWORD), 'the password stays out of the output');
    });
  }

  it('the worker exits 1 at load naming the setting, and takes no message', async () => {
    const order = await sendSampleOrder(0);

    const issueCases = invalidSettings.filter(([, , what]) =>
      ['an unknown mode', 'zero', 'not a URL', 'not a number'].includes(what),
    );
    assert.equal(issueCases.length, 4);
    for (const [setting, value] of issueCases) {
      const worker = spawnWorker(REPO_ROOT, { ...baseEnv(), [setting]: value });
      const exit = await worker.exited;

      assert.deepEqual(exit, { code: 1, signal: null }, worker.stderr());
      assert.match(worker.stderr(), new RegExp(`InvalidConfiguration: .*${setting}`));
      assert.equal(worker.lines().find(isReady), undefined, 'never ready');
    }

    const receiver = client.createReceiver('orders');
    const [waiting] = await receiver.peekMessages(1);
    const deadLetters = client.createReceiver('orders', { subQueueType: 'deadLetter' });
    const dead = await deadLetters.peekMessages(1);
    await Promise.all([receiver.close(), deadLetters.close()]);
    assert.equal(waiting?.messageId, order.orderId, 'the order still waits in the queue');
    assert.equal(waiting?.deliveryCount, 0, 'never delivered');
    assert.deepEqual(dead, [], 'nothing dead-lettered');
  });

  it('with valid settings --check exits 0 and the worker processes an order', async () => {
    const valid = {
      ...baseEnv(),
      DATABASE_SSL: 'off',
      DATABASE_POOL_SIZE: '4',
      SIMULATED_WORK_MS: '0',
    };
    const result = await check(valid);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      embedded: boolean;
      functions: { name: string }[];
    };
    assert.equal(report.embedded, false);
    assert.deepEqual(report.functions.map((fn) => fn.name).sort(), [
      'processOrder',
      'processShipment',
      'simulateWork',
    ]);

    const order = await sendSampleOrder(1);

    const worker = spawnWorker(REPO_ROOT, valid);
    try {
      await worker.waitForLine('ready', isReady, 20_000);
      const line = await worker.waitForLine(
        'the order',
        (l) => l.messageId === order.orderId && l.outcome !== undefined,
        20_000,
      );
      assert.equal(line.outcome, 'succeeded');
      assert.equal(line.deliveryCount, 1);
    } finally {
      await stopWorkerProcess(worker);
    }
    assert.equal(worker.child.exitCode, 0);
  });
});
