import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { failRequestsOnDrop } from '../../src/shared/coreAmqpRequests';
import { recoverFromPeerCloses } from '../../src/shared/rheaPeerCloses';
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
  once(event: string, listener: () => void): unknown;
  createSession(): Promise<Closable & { createSender(o: object): Promise<Closable> }>;
}
const { Connection } = fromSdk('rhea-promise') as {
  Connection: new (options: object) => PromiseConnection;
};
interface RequestLink {
  sendRequest(request: object, options?: { timeoutInMs?: number }): Promise<unknown>;
}
const { RequestResponseLink, translate } = fromSdk('@azure/core-amqp') as {
  translate(error: unknown): { retryable?: boolean };
  RequestResponseLink: { create(c: PromiseConnection, s: object, r: object): Promise<RequestLink> };
};

/** An SDK-stack connection to the emulator through `proxy`, as the SDK opens one. */
async function openThrough(proxy: StallingProxy): Promise<PromiseConnection> {
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

  const openConnection = () => openThrough(proxy);

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

// @azure/core-amqp 4.4.2 left a $cbs or $management request pending on a dropped connection
// for its whole timeout (60 s for a put-token), and the SDK's recovery waited on it.
describe('a $cbs request pending when the connection drops', () => {
  let emulator: RunningEmulator;
  let proxy: StallingProxy;

  before(async () => {
    failRequestsOnDrop();
    recoverFromPeerCloses();
    emulator = await startTestEmulator({ queues: ['q'] });
    proxy = await startStallingProxy(emulator.port);
  });

  after(async () => {
    await proxy.close();
    await emulator.close();
  });

  async function openCbsLink(): Promise<{ connection: PromiseConnection; link: RequestLink }> {
    const connection = await openThrough(proxy);
    const link = await RequestResponseLink.create(
      connection,
      { target: { address: '$cbs' } },
      { name: 'cbs-replies', source: { address: '$cbs' }, target: { address: 'cbs-replies' } },
    );
    return { connection, link };
  }

  /** A put-token request whose token the broker refuses: it answers with a status code. */
  const putToken = {
    to: '$cbs',
    reply_to: 'cbs-replies',
    body: 'not a token',
    application_properties: {
      operation: 'put-token',
      type: 'servicebus.windows.net:sastoken',
      name: 'sb://localhost/q',
    },
  };

  it('fails at once, not after its 60 s timeout, and leaves no listener behind', async () => {
    const { connection, link } = await openCbsLink();
    const listenersBefore = connection.listenerCount('disconnected');

    proxy.stall('both');
    const asked = link.sendRequest({ ...putToken }, { timeoutInMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    proxy.drop();

    assert.equal(await settlesWithin(asked, SETTLES_WITHIN_MS), 'rejected');
    assert.equal(connection.listenerCount('disconnected'), listenersBefore);
    // Worth a retry as the 60 s timeout it replaces was, whatever the socket's error.
    const error: unknown = await asked.catch((e: unknown) => e);
    assert.equal(translate(error).retryable, true);
  });

  // The SDK sends its queued put-tokens one after another, the later ones after the drop.
  it('sent on a connection that has dropped, fails at once', async () => {
    const { connection, link } = await openCbsLink();
    const dropped = new Promise<void>((resolve) => connection.once('disconnected', resolve));
    proxy.drop();
    await dropped;

    const asked = link.sendRequest({ ...putToken }, { timeoutInMs: 60_000 });

    assert.equal(await settlesWithin(asked, SETTLES_WITHIN_MS), 'rejected');
    const error: unknown = await asked.catch((e: unknown) => e);
    assert.equal(translate(error).retryable, true);
  });

  // A clean close (both sides' close frames) emits no `disconnected`: Service Bus and the
  // emulator close a connection that put no valid token within 20 s. Before, the request's
  // 60 s timer then read the address of a link that had lost its source and threw out of the
  // timer: the worker stopped on an uncaught exception 80 s after start with a wrong key.
  // The SDK's recovery (a new connection, new $cbs links) runs only on `disconnected`, which
  // rhea did not emit after such a close: the SDK then reused the old $cbs links.
  it('pending when the broker closes the connection, fails at once with its error', async () => {
    const { connection, link } = await openCbsLink();
    const closedByBroker = new Promise<void>((resolve) =>
      connection.once('connection_close', resolve),
    );
    const disconnected = new Promise<void>((resolve) => connection.once('disconnected', resolve));

    proxy.stall('toBroker');
    const asked = link.sendRequest({ ...putToken }, { timeoutInMs: 60_000 });
    await closedByBroker;

    assert.equal(await settlesWithin(asked, SETTLES_WITHIN_MS), 'rejected');
    const error = translate(await asked.catch((e: unknown) => e)) as { code?: string };
    assert.equal(error.code, 'UnauthorizedError');
    // The close frames are answered once the proxy lets them through; the socket then ends.
    proxy.resume();
    assert.equal(await settlesWithin(disconnected, SETTLES_WITHIN_MS), 'resolved');
  });

  it("still gets the broker's answer when the connection holds", async () => {
    const { connection, link } = await openCbsLink();

    const answered = link.sendRequest({ ...putToken }, { timeoutInMs: 60_000 });

    // The broker answers at once: status 401, which the SDK's link gives as a rejection.
    assert.equal(await settlesWithin(answered, SETTLES_WITHIN_MS), 'rejected');
    await assert.rejects(answered, { code: 'UnauthorizedError' });
    await connection.close();
  });
});
