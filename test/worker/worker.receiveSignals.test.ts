import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

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
} from './support';

// The receive loops (batch and session functions) pass an abort signal to every receive. The
// SDK (7.9.5) leaves a listener on that signal each time a receive ends with a drain, so one
// signal shared by every receive of a long-running worker grew without end (Node warns at 11).

const names = probeNames('signals');
let emulator: RunningEmulator;
let worker: RunningWorker;
const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(`${warning.name}: ${warning.message}`);
};

before(async () => {
  process.on('warning', onWarning);
  emulator = await startTestEmulator(probeEntities(names));
  worker = await startWorker({
    appDir: PROBE_APP,
    // Idle receives of the batch function end every 0.4 s, each with a drain.
    env: probeEnv(emulator.connectionString, names, {
      AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__tryTimeout: '00:00:00.4',
    }),
    logger: captureLogger().logger,
    shutdownGraceMs: 500,
  });
});

after(async () => {
  process.off('warning', onWarning);
  await closeInOrder([worker], [], emulator);
});

describe('worker receive loops', () => {
  it('leave no listener behind per receive: no MaxListenersExceededWarning', async () => {
    // About 15 idle receives: more than the 10 listeners Node allows on a signal.
    await new Promise((resolve) => setTimeout(resolve, 6000));

    assert.deepEqual(
      warnings.filter((warning) => warning.startsWith('MaxListenersExceededWarning')),
      [],
    );
  });
});
