import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { signSasToken } from '../support/sasToken';
import { spawnWorker, stopWorkerProcess } from './support';
import { queueFunctions, tempApp } from './tempApp';

// Review AI, connection strings: in real `sbworker worker` processes, a string the SDK would
// refuse or misread stops start-up as InvalidConfiguration naming the setting (never the
// value), by the same check the CLI makes; a refused first connection is explained as the CLI
// explains it. A string the host's .NET client reads (keys in any case, an https Endpoint,
// UseDevelopmentEmulator=TRUE) runs, handed to the SDK in the form it reads.

const KEY = 'worker-shape-key-5e1b=';
const SECRET_USER = 'shape-user-9c2d';

let emulator: RunningEmulator;
let port: number;

const appDir = () =>
  tempApp({
    'package.json': JSON.stringify({ main: 'index.js' }),
    'host.json': JSON.stringify({ version: '2.0' }),
    'index.js': queueFunctions([{ name: 'jobs', connection: 'ServiceBusConnection' }]),
  });

/** Runs a worker on the string until it exits (or 15 s pass), with its JSON lines. */
async function startFailure(connectionString: string) {
  const worker = spawnWorker(appDir(), { ServiceBusConnection: connectionString });
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), 15_000);
  const { code } = await worker.exited;
  clearTimeout(timer);
  return { code, lines: worker.lines(), output: worker.stdout() + worker.stderr() };
}

describe('connection strings the SDK would refuse stop a worker as InvalidConfiguration', () => {
  before(async () => {
    emulator = await startTestEmulator({ queues: ['jobs-q'] });
    port = Number(/:(\d+)/.exec(emulator.connectionString.split(';')[0] ?? '')?.[1]);
  });
  after(async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    await emulator.close();
  });

  const signature = () =>
    signSasToken(`sb://127.0.0.1:${port}/`, 4_102_444_800, 'RootManageSharedAccessKey', KEY);
  const base = () => `Endpoint=sb://127.0.0.1:${port}`;
  const cases: Array<[string, () => string, RegExp]> = [
    [
      'a key and a signature',
      () =>
        `${base()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${KEY};` +
        `SharedAccessSignature=${signature()};UseDevelopmentEmulator=true`,
      /has both SharedAccessSignature and SharedAccessKeyName\/SharedAccessKey/,
    ],
    [
      'SharedAccessKey:<key>',
      () =>
        `${base()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey:${KEY};` +
        'UseDevelopmentEmulator=true',
      /needs SharedAccessKeyName and SharedAccessKey, or SharedAccessSignature \(a part starts/,
    ],
    [
      'a port that is not a number',
      () =>
        'Endpoint=sb://localhost:abc;SharedAccessKeyName=RootManageSharedAccessKey;' +
        `SharedAccessKey=${KEY};UseDevelopmentEmulator=true`,
      /has an Endpoint that is not sb:\/\/<host>\[:<port>\]\//,
    ],
    [
      'user info in the Endpoint',
      () =>
        `Endpoint=sb://${SECRET_USER}:pw@127.0.0.1:${port};SharedAccessKeyName=` +
        `RootManageSharedAccessKey;SharedAccessKey=${KEY};UseDevelopmentEmulator=true`,
      /has a user name or password in its Endpoint/,
    ],
    [
      'UseDevelopmentEmulator=yes',
      () =>
        `${base()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${KEY};` +
        'UseDevelopmentEmulator=yes',
      /has UseDevelopmentEmulator set to something other than true or false/,
    ],
  ];

  for (const [shape, connectionString, says] of cases) {
    it(`refuses ${shape} before connecting, naming the setting`, async () => {
      const { code, lines, output } = await startFailure(connectionString());

      assert.equal(code, 1);
      const failed = lines.find((l) => l.msg === 'Worker failed to start');
      assert.equal(failed?.errorCode, 'InvalidConfiguration', JSON.stringify(lines));
      assert.equal(failed?.retryable, false);
      assert.match(String(failed?.error), /setting ServiceBusConnection \(from environment\) /);
      assert.match(String(failed?.error), says);
      assert.ok(!lines.some((l) => l.msg === 'Worker ready: 1 function(s) listening'));
      assert.ok(!output.includes(KEY) && !output.includes(SECRET_USER), 'no value printed');
    });
  }

  it('runs on a string as the host reads it: any key case, https, TRUE', async () => {
    // .NET's ServiceBusConnectionStringProperties.Parse, which the host uses, accepts this.
    const key = /SharedAccessKey=([^;]+)/.exec(emulator.connectionString)?.[1] ?? '';
    const worker = spawnWorker(appDir(), {
      ServiceBusConnection:
        `endpoint=https://127.0.0.1:${port}/;sharedaccesskeyname=RootManageSharedAccessKey;` +
        `sharedaccesskey=${key};usedevelopmentemulator=TRUE`,
    });
    try {
      await worker.waitForLine('ready', (l) => String(l.msg).startsWith('Worker ready'), 20_000);
      const client = testClient(emulator.connectionString);
      await client.createSender('jobs-q').sendMessages({ body: 'host form' });
      await client.close();
      const done = await worker.waitForLine(
        'the invocation',
        (l) => String(l.msg).startsWith("Executed 'jobs'"),
        20_000,
      );
      assert.equal(done.msg, "Executed 'jobs' (succeeded)");
      assert.ok(!(worker.stdout() + worker.stderr()).includes(key), 'no key printed');
    } finally {
      await stopWorkerProcess(worker);
    }
  });

  it('explains a loopback endpoint without UseDevelopmentEmulator=true, as the CLI', async () => {
    const worker = spawnWorker(appDir(), {
      ServiceBusConnection:
        `${base()};SharedAccessKeyName=RootManageSharedAccessKey;` + `SharedAccessKey=${KEY}`,
    });
    try {
      const line = await worker.waitForLine(
        'the first failure',
        (l) => String(l.msg).startsWith('Service Bus could not be reached'),
        20_000,
      );
      assert.equal(
        line.msg,
        `Service Bus could not be reached: could not connect to sb://127.0.0.1:${port}: it is` +
          ' on this machine, but the connection string in setting ServiceBusConnection (from' +
          ' environment) lacks UseDevelopmentEmulator=true, so the SDK spoke TLS to it; the' +
          ' emulator listens without TLS; retrying with the clientRetryOptions delays',
      );
      assert.equal(line.endpoint, `sb://127.0.0.1:${port}`);
    } finally {
      await stopWorkerProcess(worker);
    }
  });
});
