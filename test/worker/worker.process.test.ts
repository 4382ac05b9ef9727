import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';

import { startTestEmulator, testClient } from '../support/emulator';
import {
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  receiveGivenBack,
  sigtermUntilExit,
  spawnWorker,
  waitFor,
  type WorkerProcess,
} from './support';

// Real worker processes and real signals: drain on SIGTERM, a second signal, a broker restart,
// and two workers competing for one queue.

// Clients first, then worker processes, then emulators, so every AMQP connection closes cleanly.
const clientCleanups: Array<() => Promise<unknown>> = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of clientCleanups.splice(0)) await cleanup();
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(worker: WorkerProcess): WorkerProcess {
  cleanups.push(async () => {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
    // A graceful stop closes the AMQP connections, so the emulator keeps no timers for them.
    worker.child.kill('SIGTERM');
    const killer = setTimeout(() => worker.child.kill('SIGKILL'), 5000);
    await worker.exited;
    clearTimeout(killer);
  });
  return worker;
}

async function emulatorFor(prefix: string) {
  const names = probeNames(prefix);
  const emulator = await startTestEmulator(probeEntities(names));
  cleanups.push(() => emulator.close());
  const client = testClient(emulator.connectionString);
  clientCleanups.push(() => client.close());
  return { names, emulator, client };
}

const isReady = (line: Record<string, unknown>) => String(line.msg).startsWith('Worker ready');
const started = (id: string) => (line: Record<string, unknown>) =>
  line.msg === `probe started ${id}`;
const executed = (id: string) => (line: Record<string, unknown>) =>
  line.messageId === id && line.outcome !== undefined;

describe('worker process shutdown', () => {
  it('on SIGTERM stops receiving, lets the invocation finish and complete, exits 0', async () => {
    const { names, emulator, client } = await emulatorFor('proc-drain');
    const worker = track(
      spawnWorker(PROBE_APP, {
        ...probeEnv(emulator.connectionString, names),
        SHUTDOWN_GRACE_MS: '5000',
      }),
    );
    await worker.waitForLine('ready', isReady);

    const sender = client.createSender(names.queue);
    await sender.sendMessages({
      body: 'x',
      messageId: 'drain-1',
      applicationProperties: { behaviour: 'sleep:1500' },
    });
    await worker.waitForLine('the invocation start', started('drain-1'));
    worker.child.kill('SIGTERM');
    await worker.waitForLine('the drain', (l) =>
      String(l.msg).startsWith('Shutting down (received SIGTERM)'),
    );
    await sender.sendMessages({ body: 'y', messageId: 'drain-late' });

    const exit = await worker.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    const line = worker.lines().find(executed('drain-1'));
    assert.equal(line?.outcome, 'succeeded');
    assert.equal(line?.settlement, 'complete');
    assert.ok(
      worker.lines().some((l) => String(l.msg).startsWith('Shutting down (received SIGTERM)')),
    );
    assert.equal(
      worker.lines().find(started('drain-late')),
      undefined,
      'nothing new starts after the signal',
    );
    const receiver = client.createReceiver(names.queue);
    const left = await receiver.peekMessages(10);
    await receiver.close();
    assert.deepEqual(
      left.map((m) => m.messageId),
      ['drain-late'],
    );
  });

  it('abandons what is still running when the grace period ends, and exits 0', async () => {
    const { names, emulator, client } = await emulatorFor('proc-grace');
    const worker = track(
      spawnWorker(PROBE_APP, {
        ...probeEnv(emulator.connectionString, names),
        SHUTDOWN_GRACE_MS: '300',
      }),
    );
    await worker.waitForLine('ready', isReady);

    const sender = client.createSender(names.queue);
    await sender.sendMessages({
      body: 'x',
      messageId: 'grace-1',
      applicationProperties: { behaviour: 'sleep:6000' },
    });
    await worker.waitForLine('the invocation start', started('grace-1'));
    const { exit, afterSignalMs } = await sigtermUntilExit(worker);

    assert.deepEqual(exit, { code: 0, signal: null });
    // Grace (0.3 s), closing, and the 0.2 s exit watchdog; the handler would need 6 s.
    assert.ok(afterSignalMs < 2000, `did not wait for the handler (${afterSignalMs} ms)`);
    const graceOver = worker.lines().find((l) => String(l.msg).startsWith('Grace period over'));
    assert.deepEqual(
      [graceOver?.inFlight, graceOver?.abandoned, graceOver?.settlementsUnconfirmed],
      [1, 1, 0],
    );
    await receiveGivenBack(client, names.queue, 'grace-1');
  });

  it('exits at once on a second signal', async () => {
    const { names, emulator, client } = await emulatorFor('proc-force');
    const worker = track(
      spawnWorker(PROBE_APP, {
        ...probeEnv(emulator.connectionString, names),
        SHUTDOWN_GRACE_MS: '20000',
      }),
    );
    await worker.waitForLine('ready', isReady);

    const sender = client.createSender(names.queue);
    await sender.sendMessages({
      body: 'x',
      messageId: 'force-1',
      applicationProperties: { behaviour: 'sleep:8000' },
    });
    await worker.waitForLine('the invocation start', started('force-1'));
    worker.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    worker.child.kill('SIGINT');

    const exit = await worker.exited;
    assert.equal(exit.code, 1);
    const forced = worker
      .lines()
      .find((l) => l.msg === 'second SIGINT received, exiting without draining');
    assert.equal(forced?.inFlight, 1);
  });

  it('on a Heroku dyno keeps draining when SIGTERM comes again', async () => {
    const { names, emulator, client } = await emulatorFor('proc-dyno');
    const worker = track(
      spawnWorker(PROBE_APP, {
        ...probeEnv(emulator.connectionString, names),
        DYNO: 'worker.1',
        SHUTDOWN_GRACE_MS: '20000',
      }),
    );
    await worker.waitForLine('ready', isReady);

    await client.createSender(names.queue).sendMessages({
      body: 'x',
      messageId: 'dyno-1',
      applicationProperties: { behaviour: 'sleep:1800' },
    });
    await worker.waitForLine('the invocation start', started('dyno-1'));
    worker.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    worker.child.kill('SIGTERM');

    const exit = await worker.exited;
    assert.equal(exit.code, 0);
    const lines = worker.lines();
    assert.ok(
      lines.some((l) => l.msg === 'SIGTERM received again; still draining (send SIGINT to force)'),
    );
    const invocation = lines.find(executed('dyno-1'));
    assert.equal(invocation?.outcome, 'succeeded');
    assert.equal(invocation?.settlement, 'complete');
  });
});

/**
 * A loopback TCP proxy in front of the emulator: `cut` drops every connection and refuses new
 * ones (a network cut), `restore` accepts again.
 */
function startProxy(
  targetPort: number,
): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((inbound) => {
    if (refusing) return inbound.destroy();
    const outbound = connect(targetPort, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : 0,
        cut: () => {
          refusing = true;
          for (const socket of sockets) socket.resetAndDestroy();
        },
        restore: () => {
          refusing = false;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.end();
            server.close(() => done());
          }),
      });
    });
  });
}

describe('worker process and the broker', () => {
  it('comes back after a network cut by itself, logging outage and recovery', async () => {
    const { names, emulator, client } = await emulatorFor('proc-cut');
    const proxy = await startProxy(emulator.port);
    cleanups.push(() => proxy.close());
    const connectionString = emulator.connectionString.replace(
      `:${emulator.port};`,
      `:${proxy.port};`,
    );
    const worker = track(spawnWorker(PROBE_APP, probeEnv(connectionString, names)));
    await worker.waitForLine('ready', isReady);

    proxy.cut();
    // Cut right after "Worker ready", the receive link may not have attached yet: then the
    // worker never reached Service Bus, and says so.
    // The first line comes after the SDK's first failed reconnect, which a loaded machine
    // (the whole suite, side by side) has delayed past 10 s once; the recovery waits 20 s too.
    await worker.waitForLine(
      'the outage',
      (l) => /^Service Bus (connection lost|could not be reached)/.test(String(l.msg)),
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.restore();
    const sender = client.createSender(names.queue);
    await sender.sendMessages({ body: 'after the cut', messageId: 'cut-1' });
    await sender.close();

    const line = await worker.waitForLine('the message after the cut', executed('cut-1'), 20_000);
    assert.equal(line.outcome, 'succeeded');
    await worker.waitForLine(
      'the recovery',
      (l) => l.msg === 'Service Bus connection recovered',
      10_000,
    );
    assert.equal(worker.child.exitCode, null, 'the worker kept running');
  });

  it('shares a queue between two worker processes: each message handled by one', async () => {
    const { names, emulator, client } = await emulatorFor('proc-compete');
    const env = probeEnv(emulator.connectionString, names);
    const workers = [track(spawnWorker(PROBE_APP, env)), track(spawnWorker(PROBE_APP, env))];
    await Promise.all(workers.map((w) => w.waitForLine('ready', isReady)));

    const ids = Array.from({ length: 40 }, (_, i) => `compete-${i}`);
    const sender = client.createSender(names.queue);
    await sender.sendMessages(
      ids.map((messageId) => ({
        body: messageId,
        messageId,
        applicationProperties: { behaviour: 'sleep:50' },
      })),
    );
    await waitFor(
      'all messages handled',
      () =>
        ids.every((id) => workers.some((w) => w.lines().some(executed(id)))) ? true : undefined,
      15_000,
    );

    const perWorker = workers.map((w) =>
      w
        .lines()
        .filter((l) => l.outcome === 'succeeded')
        .map((l) => String(l.messageId)),
    );
    const all = perWorker.flat().sort();
    assert.deepEqual(all, [...ids].sort(), 'every message exactly once');
    assert.ok(
      perWorker.every((list) => list.length > 0),
      `both workers took messages (${perWorker.map((l) => l.length).join(' / ')})`,
    );
  });
});
