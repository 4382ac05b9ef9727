import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { Client } from 'pg';

import { startTestPostgres } from '../support/postgres';
import { REPO_ROOT, waitFor } from '../worker/support';
import { installCleanups, onCleanup, startWorkerProcess, testDir } from './harness';
import { CLI, sleep } from './support';

// Issue 7, item 11: a non-default broker key and a database password, used by the emulator,
// the worker and the CLI with debug logs on; neither may appear in anything they print.

installCleanups();

const SECRET_KEY = `rel-key-${randomBytes(12).toString('hex')}`;
const DB_PASSWORD = `rel-pw-${randomBytes(12).toString('hex')}`;

function emulatorConfig(): unknown {
  const queue = (name: string) => ({
    Name: name,
    Properties: { LockDuration: 'PT5S', MaxDeliveryCount: 2 },
  });
  return {
    UserConfig: {
      Namespaces: [
        {
          Name: 'secrets',
          Queues: [queue('orders'), queue('shipments'), queue('jobs')],
          Topics: [],
        },
      ],
    },
    SbworkerEmulator: {
      SharedAccessPolicies: [
        { Name: 'RootManageSharedAccessKey', Key: SECRET_KEY, Rights: ['Manage'] },
      ],
    },
  };
}

describe('secrets in output', () => {
  it('emulator, worker and CLI output show no configured key or database password', async () => {
    const dir = testDir('rel-secrets');
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(emulatorConfig()));
    const outputs: Array<[string, () => string]> = [];

    const emulator = spawn(
      process.execPath,
      [CLI, 'emulator', '--port', '0', '--config', configFile, '--data-dir', join(dir, 'data')],
      {
        env: { PATH: process.env.PATH, LOG_LEVEL: 'debug' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let emulatorOut = '';
    emulator.stdout.on('data', (chunk: Buffer) => (emulatorOut += chunk.toString('utf8')));
    emulator.stderr.on('data', (chunk: Buffer) => (emulatorOut += chunk.toString('utf8')));
    const emulatorExited = new Promise((resolve) => emulator.on('exit', resolve));
    onCleanup(async () => {
      if (emulator.exitCode === null) emulator.kill('SIGTERM');
      await emulatorExited;
    });
    outputs.push(['emulator', () => emulatorOut]);
    const port = await waitFor(
      'the emulator',
      () => /localhost:(\d+)/.exec(emulatorOut)?.[1],
      15_000,
    );
    const connectionString =
      `Endpoint=sb://localhost:${port};SharedAccessKeyName=RootManageSharedAccessKey;` +
      `SharedAccessKey=${SECRET_KEY};UseDevelopmentEmulator=true;`;

    const postgres = await startTestPostgres();
    onCleanup(() => postgres.destroy());
    const admin = new Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`ALTER USER postgres PASSWORD '${DB_PASSWORD}'`);
    await admin.end();
    const databaseUrl = postgres.url.replace('postgres@', `postgres:${DB_PASSWORD}@`);

    const env = {
      ServiceBusConnection: connectionString,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'debug',
    };
    const worker = await startWorkerProcess(REPO_ROOT, env);
    outputs.push([
      'worker',
      () =>
        worker
          .lines()
          .map((l) => JSON.stringify(l))
          .join('\n') + worker.stderr(),
    ]);

    const cli = (...args: string[]) => {
      const result = spawnSync(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
        timeout: 30_000,
        cwd: dir,
      });
      outputs.push([`sbworker ${args.join(' ')}`, () => `${result.stdout}${result.stderr}`]);
      return result;
    };
    const order = readFirstOrder();
    assert.equal(
      cli('send', 'orders', '--body', JSON.stringify(order), '--content-type', 'application/json')
        .status,
      0,
    );
    assert.equal(cli('send', 'orders', '--body', 'not an order').status, 0);
    await worker.waitForLine(
      'the order',
      (l) => l.function === 'processOrder' && l.outcome === 'succeeded',
      20_000,
    );
    cli('peek', 'orders', '--json');
    cli('peek', 'orders', '--dlq');
    cli('send', 'no-such-queue', '--body', 'x');
    cli(
      'peek',
      'orders',
      '--connection-string',
      connectionString.replace(SECRET_KEY, `${SECRET_KEY}x`),
    );
    cli('worker', '--check', '--app', REPO_ROOT);

    worker.child.kill('SIGTERM');
    await worker.exited;
    emulator.kill('SIGTERM');
    await emulatorExited;
    await sleep(100);

    const encodings = (secret: string) => [
      secret,
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64'),
    ];
    const leaks: string[] = [];
    for (const [source, text] of outputs) {
      for (const secret of [...encodings(SECRET_KEY), ...encodings(DB_PASSWORD)]) {
        if (text().includes(secret))
          leaks.push(
            `${source} shows ${secret === DB_PASSWORD ? 'the database password' : 'the key'}`,
          );
      }
    }
    assert.deepEqual(leaks, []);
    assert.ok(
      emulatorOut.length > 0 && worker.lines().length > 0,
      'the emulator and the worker logged',
    );
  });
});

function readFirstOrder(): unknown {
  // The real first sample order, through the project's own converter.
  const { readSampleOrders } =
    require('../../src/orders/sampleData') as typeof import('../../src/orders/sampleData');
  return readSampleOrders()[0];
}
