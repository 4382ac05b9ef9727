import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startWorker } from '../../src/worker';
import { captureLogger, waitFor } from '../worker/support';
import { installCleanups, onCleanup, restartableEmulator } from './harness';
import { RELIABILITY_APP, sleep } from './support';

// A worker that runs for days sees many outages. Each one gives a listener a new receiver; the
// replaced one must leave the SDK client's table of receivers, or that table (and the work the
// SDK does on every disconnect) grows with each outage.

installCleanups();

/** The SDK client's receivers by name: internal to @azure/service-bus, read for this check. */
function receiverCount(client: unknown): number {
  const context = (client as { _connectionContext?: { messageReceivers?: object } })
    ._connectionContext;
  assert.ok(context?.messageReceivers !== undefined, 'the SDK keeps its receivers elsewhere now');
  return Object.keys(context.messageReceivers).length;
}

describe('receivers replaced after broker outages', () => {
  it('leave the SDK client once the connection is back', async () => {
    const { emulator, start, env } = await restartableEmulator('rel-receivers', 3000);
    const log = captureLogger();
    const worker = await startWorker({ appDir: RELIABILITY_APP, env, logger: log.logger });
    onCleanup(() => worker.stop());
    const [fn] = worker.functions;
    assert.ok(fn !== undefined);
    const client = await worker.client(fn.connectionName);
    await sleep(500);
    const before = receiverCount(client);

    let running = emulator;
    for (let outage = 1; outage <= 4; outage += 1) {
      await running.kill9();
      await sleep(1500);
      running = await start();
      await waitFor(
        `recovery ${outage}`,
        () =>
          log.lines().filter((line) => line.msg === 'Service Bus connection recovered').length >=
          outage
            ? true
            : undefined,
        20_000,
      );
      // The replaced receiver is closed once the new link has attached.
      await sleep(1000);
    }

    assert.equal(before, 1);
    assert.equal(receiverCount(client), before, 'one receiver per listener, as before');
  });
});
