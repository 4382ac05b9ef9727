import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { TestEntities } from '../support/emulator';
import { SESSIONS_APP } from '../worker/support';
import { tempApp } from '../worker/tempApp';
import {
  installCleanups,
  restartableEmulatorWith,
  restartTwiceUnderIdleWorker,
  startWorkerProcess,
} from './harness';
import { sleep } from './support';

// The receive loops of session and batch functions wait for up to tryTimeout (a minute by
// default, set here) in an accept for a free session or in a receive for a message, so on an
// idle entity no call returning tells of a recovery that soon. Each outage must still be
// logged once, and each recovery within a few retry delays.

installCleanups();

const QUEUE = 'idle-loop-q';
const MINUTE_TRY_TIMEOUT = {
  AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__tryTimeout: '00:01:00',
};

const BATCH_APP = tempApp({
  'package.json': JSON.stringify({ main: 'index.js' }),
  'host.json': JSON.stringify({
    version: '2.0',
    extensions: { serviceBus: { clientRetryOptions: { mode: 'fixed', delay: '00:00:00.5' } } },
  }),
  'index.js':
    "require('@azure/functions').app.serviceBusQueue('idleBatch', { connection: 'C', " +
    "queueName: '%Q%', cardinality: 'many', handler: async () => {} });\n",
});

async function restartTwiceUnder(
  app: string,
  entities: TestEntities,
  env: (connectionString: string) => NodeJS.ProcessEnv,
): Promise<void> {
  const { emulator, start } = await restartableEmulatorWith('idle-loop', entities);
  const worker = await startWorkerProcess(app, env(emulator.connectionString));
  await sleep(1000);

  // Recoveries well under the minute that an accept or a receive waits.
  const outages = await restartTwiceUnderIdleWorker(emulator, start, worker, {
    gapMs: 5000,
    recoveryWithinMs: 15_000,
    maxOutageMs: 10_000,
  });
  // The loops had not returned from their first call, but Service Bus had taken them.
  assert.match(String(outages[0]?.msg), /^Service Bus connection lost/);
}

describe('two emulator restarts under an idle receive loop', () => {
  it('a session function logs each outage and its recovery', async () => {
    await restartTwiceUnder(
      SESSIONS_APP,
      { queues: [{ name: QUEUE, requiresSession: true }] },
      (connectionString) => ({
        ProbeConnection: connectionString,
        PROBE_SESSION_QUEUE: QUEUE,
        ...MINUTE_TRY_TIMEOUT,
      }),
    );
  });

  it('a batch function logs each outage and its recovery', async () => {
    await restartTwiceUnder(BATCH_APP, { queues: [QUEUE] }, (connectionString) => ({
      C: connectionString,
      Q: QUEUE,
      ...MINUTE_TRY_TIMEOUT,
    }));
  });
});
