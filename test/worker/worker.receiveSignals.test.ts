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

// Listeners on every abort signal in the process, counted through EventTarget itself: the
// loops raise the warning limit on their own signal, so the warning alone proves nothing.
const listeners = new Map<EventTarget, Set<unknown>>();
const { addEventListener, removeEventListener } = EventTarget.prototype;

function countListeners(): void {
  EventTarget.prototype.addEventListener = function (this: EventTarget, ...args) {
    if (this instanceof AbortSignal && args[0] === 'abort') {
      const set = listeners.get(this) ?? new Set();
      set.add(args[1]);
      listeners.set(this, set);
    }
    return addEventListener.apply(this, args);
  };
  EventTarget.prototype.removeEventListener = function (this: EventTarget, ...args) {
    if (this instanceof AbortSignal && args[0] === 'abort') listeners.get(this)?.delete(args[1]);
    return removeEventListener.apply(this, args);
  };
}

function stopCounting(): void {
  EventTarget.prototype.addEventListener = addEventListener;
  EventTarget.prototype.removeEventListener = removeEventListener;
}

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
  stopCounting();
  process.off('warning', onWarning);
  await stopProbeHarness(harness);
});

describe('worker receive loops', () => {
  it('leave no listener behind per receive on any signal', async () => {
    countListeners();

    // About 15 idle receives: more than the 10 listeners Node allows on a signal.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const counts = [...listeners.values()].map((set) => set.size);
    stopCounting();

    // Each receive had a signal of its own, and no signal kept a listener per receive.
    assert.ok(counts.length >= 11, `abort signals of receives: ${counts.length}`);
    assert.ok(Math.max(...counts) <= 4, `most listeners on one signal: ${Math.max(...counts)}`);
    assert.deepEqual(
      warnings.filter((warning) => warning.startsWith('MaxListenersExceededWarning')),
      [],
    );
  });
});
