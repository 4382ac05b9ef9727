import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';

import { probeHarnessPerTest, sendToProbeQueue } from './probeHarness';
import { callsFor, waitFor } from './support';

// A network that stalls and then catches up (trial 6: a 25 s black hole) hands the worker,
// all at once, deliveries whose locks ran out on the way and the broker's redeliveries of the
// same messages. Invoking the stale copies ran each message twice at the same time.

const LOCK_MS = 2000;

/** A loopback proxy whose traffic from the broker can be held back (`stall`) and let go. */
function stallingProxy() {
  const pairs = new Set<{ client: Socket; broker: Socket }>();
  let targetPort = 0;
  const server: Server = createServer((client) => {
    const broker = connect(targetPort, '127.0.0.1');
    pairs.add({ client, broker });
    for (const socket of [client, broker]) socket.on('error', () => undefined);
    client.pipe(broker).pipe(client);
    client.on('close', () => broker.destroy());
    broker.on('close', () => client.destroy());
  });
  const listening = new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return {
    listening,
    connections: () => pairs.size,
    route(connectionString: string, proxyPort: number): string {
      targetPort = Number(/:(\d+)/.exec(connectionString.split('sb://')[1] ?? '')?.[1]);
      return connectionString.replace(`:${targetPort}`, `:${proxyPort}`);
    },
    // Unpiped and paused, the broker's bytes wait in the socket; piped again, they flow.
    stall: () =>
      pairs.forEach(({ client, broker }) => {
        broker.unpipe(client);
        broker.pause();
      }),
    release: () => pairs.forEach(({ client, broker }) => broker.pipe(client)),
    close: () =>
      new Promise<void>((done) => {
        pairs.forEach(({ broker }) => broker.destroy());
        server.close(() => done());
      }),
  };
}

const harness = probeHarnessPerTest();

describe('deliveries that arrive with their lock already gone', () => {
  const proxy = stallingProxy();
  after(() => proxy.close());

  it('are not invoked: only the fresh redelivery runs', async () => {
    const proxyPort = await proxy.listening;
    const h = await harness('expired-arrival', {
      queue: { lockDurationMs: LOCK_MS },
      workerConnection: (connectionString) => proxy.route(connectionString, proxyPort),
    });

    // The receiver attaches its link after start-up; stall once it has had time to.
    await waitFor('the worker connection', () => (proxy.connections() > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.stall();
    await sendToProbeQueue(h, { body: 'x', messageId: 'late-1' });
    // The first delivery's lock runs out inside the stall; the redelivery's does not.
    await new Promise((resolve) => setTimeout(resolve, LOCK_MS * 1.5));
    proxy.release();

    const done = await waitFor('the completed delivery', () =>
      h.log.lines().find((l) => l.messageId === 'late-1' && l.settlement === 'complete'),
    );
    assert.equal(done.deliveryCount, 2);
    assert.deepEqual(
      callsFor('probeQueue', 'late-1').map((call) => call.triggerMetadata?.deliveryCount),
      [2],
      'the stale first delivery was not invoked',
    );
    // The stale delivery is left alone once a renewal of its lock is refused (the worker asks
    // the broker before it believes its own clock), which may come after the redelivery ran.
    const skipped = await waitFor('the stale delivery left alone', () =>
      h.log.lines().find((l) => String(l.msg).startsWith('Lock had already expired')),
    );
    assert.equal(skipped.deliveryCount, 1);
  });
});
