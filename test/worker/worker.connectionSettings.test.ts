import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import {
  PROBE_APP,
  probeEnv,
  probeNames,
  REPO_ROOT,
  spawnWorker,
  stopWorkerProcess,
} from './support';
import { queueFunctions, tempApp } from './tempApp';

// Issue #3, item 2, in real `sbworker worker` processes: the connection comes from where the
// host takes it (ConnectionStrings first, the later of two names .NET reads as one), and
// start-up warns, once and without values, about settings set twice and about .env lines
// that set nothing.

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
// Valid connection strings to a port nothing listens on: a worker that used one never gets ready.
const NOWHERE =
  'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=' +
  'nowhere-key-8d1f=;UseDevelopmentEmulator=true';
const DOTENV_SECRET = 'dotenv-line-secret-41c7';

let emulator: RunningEmulator;
let client: ServiceBusClient;
const names = probeNames('connsettings');

const isReady = (line: Record<string, unknown>) => String(line.msg).startsWith('Worker ready');
const isLoaded = (line: Record<string, unknown>) => String(line.msg).startsWith('Loaded ');

function check(appDir: string, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'worker', '--check', '--app', appDir],
      { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        error === null
          ? resolve(JSON.parse(stdout) as Record<string, unknown>)
          : reject(new Error(`${error.message}\n${stderr}`)),
    );
  });
}

/** The probe app's functions, from an app folder that can hold its own settings files. */
function probeAppWith(files: Record<string, string>): string {
  const entry = JSON.stringify(join(PROBE_APP, 'functions', 'probe.js'));
  return tempApp({
    'package.json': JSON.stringify({ main: 'index.js' }),
    'host.json': JSON.stringify({ version: '2.0' }),
    'index.js': `require(${entry});`,
    ...files,
  });
}

describe('connection settings as the host resolves them (worker processes)', () => {
  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        names.queue,
        names.binaryQueue,
        names.out,
        names.extraOut,
        names.batchQueue,
        'jobs-q',
      ],
      topics: [{ name: names.topic, subscriptions: [{ name: 'probe-sub' }] }],
    });
    client = testClient(emulator.connectionString);
  });
  after(async () => {
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await emulator.close();
  });

  it('runs on local.settings.json ConnectionStrings before Values, naming them', async () => {
    const { ProbeConnection: _unused, ...entities } = probeEnv(emulator.connectionString, names);
    const appDir = probeAppWith({
      'local.settings.json': JSON.stringify({
        IsEncrypted: false,
        Values: { ...entities, ProbeConnection: NOWHERE },
        ConnectionStrings: { ProbeConnection: emulator.connectionString },
      }),
    });
    const worker = spawnWorker(appDir, {});
    try {
      await worker.waitForLine('ready', isReady, 20_000);
      const sender = client.createSender(names.queue);
      await sender.sendMessages({ body: 'x', messageId: 'connstr-1' });
      await sender.close();
      const done = await worker.waitForLine(
        'the invocation',
        (l) => l.messageId === 'connstr-1' && l.outcome !== undefined,
      );
      assert.equal(done.outcome, 'succeeded');

      const loaded = worker.lines().find(isLoaded) as { functions: Array<Record<string, unknown>> };
      assert.deepEqual(loaded.functions[0]?.connectionSource, {
        namespace: /sb:\/\/([^/;]+)/.exec(emulator.connectionString)?.[1],
        auth: 'sas',
        setting: 'ConnectionStrings:ProbeConnection',
        from: 'local.settings.json',
      });
    } finally {
      await stopWorkerProcess(worker);
    }
  });

  it('warns once at start-up of settings set twice and .env lines that set nothing', async () => {
    const appDir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'host.json': JSON.stringify({ version: '2.0' }),
      'index.js': queueFunctions([{ name: 'jobs', connection: 'ServiceBusConnection' }]),
      '.env': [
        `servicebusconnection=${NOWHERE}`,
        'AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls=2',
        `export ${DOTENV_SECRET} is not an assignment`,
        'MULTI="a value',
        'on two lines"',
      ].join('\n'),
    });
    const worker = spawnWorker(appDir, {
      ServiceBusConnection: emulator.connectionString,
      SERVICEBUS_CONNECTION_STRING: NOWHERE,
      AZUREFUNCTIONSJOBHOST__EXTENSIONS__SERVICEBUS__MAXCONCURRENTCALLS: '3',
    });
    try {
      await worker.waitForLine('ready', isReady, 20_000);
    } finally {
      await stopWorkerProcess(worker);
    }
    const output = worker.stdout() + worker.stderr();
    const warnings = worker.lines().filter((l) => l.level === 'warn');
    const about = (text: string) => warnings.filter((l) => String(l.msg).includes(text));

    const alias = about('SERVICEBUS_CONNECTION_STRING are both set');
    assert.equal(alias.length, 1, 'the alias warning, once');
    assert.deepEqual(alias[0]?.settings, ['ServiceBusConnection', 'SERVICEBUS_CONNECTION_STRING']);
    assert.equal(alias[0]?.used, 'ServiceBusConnection');

    const connection = about('servicebusconnection (.env) and ServiceBusConnection (environment)');
    assert.equal(connection.length, 1, 'the case warning for the connection, once');
    assert.equal(connection[0]?.used, 'ServiceBusConnection');

    const override = about('AZUREFUNCTIONSJOBHOST__EXTENSIONS__SERVICEBUS__MAXCONCURRENTCALLS');
    assert.equal(override.length, 1, 'the case warning for the override, once');
    assert.match(
      String(override[0]?.msg),
      /AzureFunctionsJobHost__extensions__serviceBus__maxConc/,
    );
    const loaded = worker.lines().find(isLoaded) as { serviceBus: { maxConcurrentCalls: number } };
    assert.equal(loaded.serviceBus.maxConcurrentCalls, 3, 'the later source (environment) wins');

    const dotenv = about('.env: line 3 is not NAME=value');
    assert.equal(dotenv.length, 1, 'one warning, for line 3 only (not the two-line value)');
    assert.ok(String(dotenv[0]?.msg).includes(join(appDir, '.env')), 'names the file');

    assert.ok(!output.includes(DOTENV_SECRET), 'the unread line is never shown');
    assert.ok(!output.includes('nowhere-key'), 'no setting value is shown');
  });

  it('does not warn about the alias when it holds the same connection string', async () => {
    const appDir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'host.json': JSON.stringify({ version: '2.0' }),
      'index.js': queueFunctions([{ name: 'jobs', connection: 'ServiceBusConnection' }]),
    });
    const same = await check(appDir, {
      ServiceBusConnection: emulator.connectionString,
      SERVICEBUS_CONNECTION_STRING: emulator.connectionString,
    });
    assert.deepEqual(same.warnings, []);

    const differs = await check(appDir, {
      CUSTOMCONNSTR_ServiceBusConnection: emulator.connectionString,
      SERVICEBUS_CONNECTION_STRING: NOWHERE,
    });
    assert.deepEqual(differs.warnings, [
      'CUSTOMCONNSTR_ServiceBusConnection and SERVICEBUS_CONNECTION_STRING are both set, to ' +
        'different values: CUSTOMCONNSTR_ServiceBusConnection is used ' +
        '(SERVICEBUS_CONNECTION_STRING is read only when ServiceBusConnection is not set)',
    ]);
  });
});
