import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { endClosesOnDisconnect } from '../../src/shared/rheaPromiseCloses';
import { startTestEmulator } from '../support/emulator';
import { startStallingProxy, type StallingProxy } from '../support/stallingProxy';

// The rhea-promise copy @azure/service-bus runs on, found the way Node finds it for the SDK.
const fromSdk = createRequire(require.resolve('@azure/service-bus'));

interface Closable {
  close(): Promise<void>;
}
interface PromiseConnection extends Closable {
  open(): Promise<unknown>;
  listenerCount(event: string): number;
  createSession(): Promise<Closable & { createSender(o: object): Promise<Closable> }>;
}
const { Connection } = fromSdk('rhea-promise') as {
  Connection: new (options: object) => PromiseConnection;
};

/** How long a close may take after its connection dropped; unpatched, it never ends. */
const SETTLES_WITHIN_MS = 3000;

function settlesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still waiting'), timeoutMs);
    const done = (outcome: string) => () => {
      clearTimeout(timer);
      resolve(outcome);
    };
    promise.then(done('resolved'), done('rejected'));
  });
}

// rhea-promise 3.0.3 left a close waiting for ever when the connection dropped before the
// broker answered it, and the SDK's recovery from a drop waits on such a close.
describe("rhea-promise closes when the connection drops before the broker's answer", () => {
  let emulator: RunningEmulator;
  let proxy: StallingProxy;

  before(async () => {
    endClosesOnDisconnect();
    emulator = await startTestEmulator();
    proxy = await startStallingProxy(emulator.port);
  });

  after(async () => {
    await proxy.close();
    await emulator.close();
  });

  async function openConnection(): Promise<PromiseConnection> {
    const connection = new Connection({
      host: '127.0.0.1',
      hostname: 'localhost',
      port: proxy.port,
      transport: 'tcp',
      reconnect: false,
    });
    await connection.open();
    return connection;
  }

  /** Holds the traffic, starts the close (its frame never arrives), then cuts the network. */
  async function closeAcrossADrop(target: Closable): Promise<string> {
    proxy.stall('both');
    const closing = target.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    proxy.drop();
    return settlesWithin(closing, SETTLES_WITHIN_MS);
  }

  it('a connection close ends', async () => {
    const connection = await openConnection();

    assert.equal(await closeAcrossADrop(connection), 'resolved');
  });

  it('a session close ends', async () => {
    const connection = await openConnection();
    const session = await connection.createSession();

    assert.equal(await closeAcrossADrop(session), 'resolved');
  });

  it('a link close ends', async () => {
    const connection = await openConnection();
    const session = await connection.createSession();
    // The $cbs node takes links without a token.
    const sender = await session.createSender({ target: { address: '$cbs' } });

    assert.equal(await closeAcrossADrop(sender), 'resolved');
  });

  it('many closes waiting on one connection share one listener, and all end', async () => {
    const connection = await openConnection();
    const sessions = [];
    for (let i = 0; i < 12; i += 1) sessions.push(await connection.createSession());
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning.message);
    process.on('warning', onWarning);
    const listenersBefore = connection.listenerCount('disconnected');

    proxy.stall('both');
    const closing = sessions.map((session) => session.close());
    const listenersWhileWaiting = connection.listenerCount('disconnected');
    await new Promise((resolve) => setTimeout(resolve, 100));
    proxy.drop();
    const outcomes = await Promise.all(closing.map((c) => settlesWithin(c, SETTLES_WITHIN_MS)));
    process.off('warning', onWarning);

    // Node warns from an event's eleventh listener (MaxListenersExceededWarning).
    assert.equal(listenersWhileWaiting, listenersBefore + 1);
    assert.deepEqual(outcomes, Array<string>(12).fill('resolved'));
    assert.equal(connection.listenerCount('disconnected'), listenersBefore);
    assert.deepEqual(warnings, []);
  });

  it('a close the broker answers still ends as before', async () => {
    const connection = await openConnection();
    const session = await connection.createSession();
    const sender = await session.createSender({ target: { address: '$cbs' } });

    assert.equal(await settlesWithin(sender.close(), SETTLES_WITHIN_MS), 'resolved');
    assert.equal(await settlesWithin(connection.close(), SETTLES_WITHIN_MS), 'resolved');
  });
});
