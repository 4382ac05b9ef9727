import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { startWorker } from '../../src/worker';
import { startEmbeddedEmulator } from '../../src/worker/embedded';
import { testClient } from '../support/emulator';
import {
  callsFor,
  captureLogger,
  PROBE_APP,
  probeEnv,
  probeNames,
  REPO_ROOT,
  SESSIONS_APP,
  waitFor,
} from './support';

function envWithoutConnection(
  prefix: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env = probeEnv('unused', probeNames(prefix), extra);
  delete env.ProbeConnection;
  return env;
}

function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0 });
    });
  });
}

/** Sends one message to the probe app's queue and waits until its function has run it. */
async function sendAndAwaitInvocation(
  connectionString: string,
  queue: string,
  messageId: string,
): Promise<void> {
  const client = testClient(connectionString);
  const sender = client.createSender(queue);
  await sender.sendMessages({ body: 'hello', messageId });
  await waitFor(`message ${messageId}`, () =>
    callsFor('probeQueue', messageId).length > 0 ? true : undefined,
  );
  await sender.close();
  await client.close();
}

/** Whether this machine can listen on the IPv6 loopback address. */
function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

describe('embedded mode', () => {
  it('starts the emulator with the entities named, says so, processes messages', async () => {
    const log = captureLogger();
    const names = probeNames('embedded');
    const worker = await startWorker({
      appDir: PROBE_APP,
      env: envWithoutConnection('embedded'),
      logger: log.logger,
      embeddedPort: 0,
    });
    try {
      assert.ok(worker.embedded !== undefined);
      // The emulator's own start-up lines may come first; the worker's first line says it.
      const first = log.lines().find((line) => line.component !== 'emulator');
      assert.ok(
        /embedded emulator on port \d+/.test(String(first?.msg)),
        "the worker's first log line is the embedded-mode line",
      );
      assert.ok(
        String(first?.msg).includes(worker.embedded.connectionString),
        'the first line gives the connection string',
      );
      assert.deepEqual(
        (first?.entities as string[]).sort(),
        [
          names.batchQueue,
          names.binaryQueue,
          names.extraOut,
          names.queue,
          names.out,
          `${names.topic}/Subscriptions/probe-sub`,
        ].sort(),
      );

      await sendAndAwaitInvocation(worker.embedded.connectionString, names.queue, 'embedded-1');
    } finally {
      await worker.stop('test finished');
    }
  });

  // A README trial: the embedded emulator printed `localhost` but listened on 127.0.0.1 only,
  // so a client that resolves localhost to ::1 was refused. The standalone one binds both.
  it('listens on ::1 too, where the connection string says localhost', async (t) => {
    if (!(await hasIpv6Loopback())) {
      t.skip('this machine has no ::1');
      return;
    }
    const names = probeNames('embedded-v6');
    const worker = await startWorker({
      appDir: PROBE_APP,
      env: envWithoutConnection('embedded-v6'),
      logger: captureLogger().logger,
      embeddedPort: 0,
    });
    try {
      assert.ok(worker.embedded !== undefined);
      assert.match(worker.embedded.connectionString, /^Endpoint=sb:\/\/localhost:\d+;/);

      const overIpv6 = worker.embedded.connectionString.replace('localhost', '[::1]');
      await sendAndAwaitInvocation(overIpv6, names.queue, 'embedded-v6-1');
      const health = await fetch(`http://[::1]:${String(worker.embedded.httpPort)}/health`);
      assert.equal(health.status, 200, 'the management API answers on ::1 too');
    } finally {
      await worker.stop('test finished');
    }
  });

  it('takes a free port when the preferred one is taken', async () => {
    const { server, port } = await occupyPort();
    const worker = await startWorker({
      appDir: PROBE_APP,
      env: envWithoutConnection('embedded-port'),
      logger: captureLogger().logger,
      embeddedPort: port,
    });
    try {
      assert.ok(worker.embedded !== undefined);
      assert.notEqual(worker.embedded.port, port);
    } finally {
      await worker.stop('test finished');
      server.close();
    }
  });

  it('names the management API port when that is the one taken', async () => {
    const free = await occupyPort();
    await new Promise<void>((resolve) => free.server.close(() => resolve()));
    const taken = await occupyPort();
    const captured = captureLogger();
    const emulator = await startEmbeddedEmulator([], captured.logger, free.port, taken.port);
    try {
      const warning = captured.lines().find((line) => line.level === 'warn');
      assert.ok(warning, 'no warning logged');
      assert.match(String(warning.msg), new RegExp(`^Port ${taken.port} is taken`));
      assert.ok(emulator.port > 0);
    } finally {
      await emulator.close();
      taken.server.close();
    }
  });

  for (const [setting, value] of [
    ['LOG_LEVEL', 'loud'],
    ['SHUTDOWN_GRACE_MS', '-5'],
    ['SHUTDOWN_GRACE_MS', '2147483648'],
  ] as const) {
    it(`refuses to start with ${setting}=${value}, naming it`, async () => {
      await assert.rejects(
        startWorker({
          appDir: PROBE_APP,
          env: envWithoutConnection('invalid-setting', { [setting]: value }),
          logger: captureLogger().logger,
          embeddedPort: 0,
        }),
        (error: Error & { code?: string }) =>
          error.code === 'InvalidConfiguration' && error.message.includes(setting),
      );
    });
  }

  for (const [name, extra, reason] of [
    ['on a Heroku dyno (DYNO set)', { DYNO: 'worker.1' }, /DYNO is set/],
    ['with NODE_ENV=production', { NODE_ENV: 'production' }, /NODE_ENV is production/],
    ['on Azure (WEBSITE_INSTANCE_ID set)', { WEBSITE_INSTANCE_ID: 'a1' }, /WEBSITE_INSTANCE_ID/],
  ] as const) {
    it(`is refused ${name}, with an error naming the connection setting`, async () => {
      await assert.rejects(
        startWorker({
          appDir: PROBE_APP,
          env: envWithoutConnection('refused', extra),
          logger: captureLogger().logger,
          embeddedPort: 0,
        }),
        (error: Error & { code?: string }) =>
          error.code === 'InvalidConfiguration' &&
          reason.test(error.message) &&
          error.message.includes('ProbeConnection'),
      );
    });
  }
});

describe('sbworker worker --check', () => {
  const cli = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const secret =
    'Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=k;SharedAccessKey=check-secret-value';

  it('prints the functions, entities and settings in effect, without secrets, and exits 0', () => {
    const env = { PATH: process.env.PATH, ...probeEnv(secret, probeNames('check')) };

    const result = spawnSync(process.execPath, [cli, 'worker', '--app', PROBE_APP, '--check'], {
      env,
      encoding: 'utf8',
    });

    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      embedded: boolean;
      functions: Array<{
        name: string;
        entity: string;
        connectionSource: { namespace: string; setting: string };
      }>;
      serviceBus: { maxConcurrentCalls: number };
    };
    assert.equal(report.embedded, false);
    assert.equal(report.serviceBus.maxConcurrentCalls, 4);
    const queue = report.functions.find((fn) => fn.name === 'probeQueue');
    assert.equal(queue?.entity, 'check-in');
    assert.deepEqual(queue?.connectionSource, {
      namespace: '127.0.0.1:1',
      auth: 'sas',
      setting: 'ProbeConnection',
      from: 'environment',
    });
    assert.ok(!result.stdout.includes('check-secret-value'));
  });

  it('takes the embedded emulator port from --emulator-port and names both ports', async () => {
    const env = { PATH: process.env.PATH, ...envWithoutConnection('cli-port') };
    const args = [cli, 'worker', '--app', PROBE_APP, '--emulator-port', '0'];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });

    try {
      const lines = createInterface({ input: child.stdout });
      let announcement: Record<string, unknown> | undefined;
      for await (const line of lines) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (!String(parsed.msg).startsWith('No Service Bus connection')) continue;
        announcement = parsed;
        break;
      }

      const port = Number(announcement?.port);
      const httpPort = Number(announcement?.httpPort);
      assert.ok(port > 0 && port !== 5672, `AMQP port ${port}`);
      assert.ok(httpPort > 0 && httpPort !== 5300, `management port ${httpPort}`);
      assert.match(String(announcement?.msg), new RegExp(`management API ${httpPort}`));
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
  });

  it('drains and exits 0 on a SIGTERM that comes while the CLI is still loading', async () => {
    const env = { PATH: process.env.PATH, ...envWithoutConnection('early-signal') };
    const preload = join(REPO_ROOT, 'test', 'fixtures', 'preload', 'sigtermWhileLoading.js');
    const args = ['--require', preload, cli, 'worker', '--app', PROBE_APP, '--emulator-port', '0'];

    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const messages: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      messages.push(String((JSON.parse(line) as { msg?: unknown }).msg));
    });
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];

    // Without a handler this early, Node's default action ends the process by the signal.
    assert.deepEqual([code, signal], [0, null]);
    assert.ok(messages.includes('Shutting down (received SIGTERM): stopped receiving, draining'));
    assert.equal(messages.at(-1), 'Worker stopped');
  });

  it('exits 1 with an error naming a missing setting', () => {
    const env = { PATH: process.env.PATH, ProbeConnection: secret };

    const result = spawnSync(process.execPath, [cli, 'worker', '--app', SESSIONS_APP, '--check'], {
      env,
      encoding: 'utf8',
    });

    assert.equal(result.status, 1);
    assert.match(result.stderr, /PROBE_SESSION_QUEUE/);
  });
});
