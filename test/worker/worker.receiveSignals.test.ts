import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { type ProbeHarness, startProbeHarness, stopProbeHarness } from './probeHarness';

// The receive loops (batch and session functions) pass an abort signal to every receive. The
// SDK (7.9.5) leaves a listener on that signal each time a receive ends with a drain, so one
// signal shared by every receive of a long-running worker grew without end (Node warns at 11).

let harness: ProbeHarness | undefined;
const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(`${warning.name}: ${warning.message}`);
};

before(async () => {
  process.on('warning', onWarning);
  // Idle receives of the batch function end every 0.4 s, each with a drain.
  harness = await startProbeHarness('signals', {
    env: {
      AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__tryTimeout: '00:00:00.4',
    },
  });
});

after(async () => {
  process.off('warning', onWarning);
  await stopProbeHarness(harness);
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
