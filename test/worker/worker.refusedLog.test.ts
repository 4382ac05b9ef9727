import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { startWorker, type RunningWorker } from '../../src/worker';
import { startTestEmulator } from '../support/emulator';
import {
  captureLogger,
  closeInOrder,
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  waitFor,
} from './support';

// A wrong key is not an outage: the worker says the broker refused it, with the SDK's reason,
// instead of an empty "connection lost" (the SDK wraps its attempts in an AggregateError).

describe('worker: a refused connection', () => {
  let emulator: RunningEmulator | undefined;
  let worker: RunningWorker | undefined;

  after(async () => {
    await closeInOrder([worker], [], emulator);
  });

  it('logs the refusal with its code and reason', async () => {
    const names = probeNames('refused');
    emulator = await startTestEmulator(probeEntities(names));
    const wrongKey = emulator.connectionString.replace(
      /SharedAccessKey=[^;]*/,
      'SharedAccessKey=not-the-key',
    );
    const log = captureLogger();

    worker = await startWorker({
      appDir: PROBE_APP,
      env: probeEnv(wrongKey, names),
      logger: log.logger,
      shutdownGraceMs: 500,
    });
    const refusal = await waitFor(
      'a refusal line',
      () => log.lines().find((line) => String(line.msg).startsWith('Service Bus refused')),
      15_000,
    );

    assert.equal(refusal.level, 'error');
    assert.equal(refusal.code, 'UnauthorizedAccess');
    assert.match(String(refusal.error), /\S/, 'the reason is not empty');
    assert.ok(!JSON.stringify(log.lines()).includes('not-the-key'), 'the key is never logged');
  });
});
