import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';

import type { Receiver } from '../../src/emulator/amqp/rhea';
import { ConnectionAuth } from '../../src/emulator/auth/connectionAuth';
import { TokenWatch } from '../../src/emulator/server/tokenWatch';
import { silentLogger } from '../../src/shared/logger';

// The watch decides when to look again from the broker's clock (`Date.now` in the emulator),
// while its timer runs on the event loop's cached monotonic time. Under load the two drift
// by a millisecond or more, and other work lands between two readings of the clock. Seen on a
// loaded machine: a sweep at 10:41:52.999 for a token ending at 10:41:53.000 kept the link
// and the next sweep was set for the other token's expiry a minute later (flaky tokenExpiry).

/** The grant's end, in the scripted clock's milliseconds (the real timer waits this long). */
const EXPIRES_AT_MS = 40;
/** How long a drop may take in real time here: the timer plus scheduling, with room to spare. */
const DROP_WITHIN_MS = 1_000;

/**
 * A clock the test sets. Once `step` is 1 every reading moves it on a millisecond: time that
 * passes between two readings, as on a busy machine.
 */
function scriptedClock() {
  const clock = { ms: 0, step: 0, read: () => 0 };
  clock.read = () => {
    const reading = clock.ms;
    clock.ms += clock.step;
    return reading;
  };
  return clock;
}

/** A watch with a grant for `queue-a` ending at EXPIRES_AT_MS and one link on the queue. */
function watchOneLink(clock: ReturnType<typeof scriptedClock>) {
  const auth = new ConnectionAuth();
  auth.add({ path: 'queue-a', rights: ['Listen'], expiresAtMs: EXPIRES_AT_MS });
  const tokens = new TokenWatch(auth, clock.read, silentLogger());
  let drop = (): void => undefined;
  const dropped = new Promise<void>((resolve) => (drop = resolve));
  const watchLink = () =>
    tokens.watch({ name: 'link-a' } as unknown as Receiver, {
      address: 'queue-a',
      right: 'Listen',
      drop,
    });
  return { auth, tokens, dropped, watchLink };
}

/** Resolves when the link was dropped; fails if it is still attached after DROP_WITHIN_MS. */
async function droppedPromptly(dropped: Promise<void>, tokens: TokenWatch): Promise<void> {
  const waiting = new AbortController();
  const stillAttached = sleep(DROP_WITHIN_MS, undefined, { signal: waiting.signal }).then(() => {
    throw new Error('the link stayed attached after its token expired');
  });
  try {
    await Promise.race([dropped, stillAttached]);
  } finally {
    waiting.abort();
    stillAttached.catch(() => undefined);
    tokens.stop();
  }
}

describe('TokenWatch', () => {
  it('drops the link when its timer fires a hair before the expiry by the clock', async () => {
    const clock = scriptedClock();
    const { tokens, dropped, watchLink } = watchOneLink(clock);
    watchLink();

    // The timer comes due with the clock 1 ms short of the expiry, and reaches it meanwhile.
    clock.ms = EXPIRES_AT_MS - 1;
    clock.step = 1;
    await droppedPromptly(dropped, tokens);
  });

  it('drops a link authorized just before the expiry and watched just after it', async () => {
    const clock = scriptedClock();
    const { auth, tokens, dropped, watchLink } = watchOneLink(clock);
    clock.ms = EXPIRES_AT_MS - 1;
    clock.step = 1;

    assert.ok(auth.allows('queue-a', 'Listen', clock.read()), 'the attach is authorized');
    watchLink();
    await droppedPromptly(dropped, tokens);
  });

  it('keeps the expiry in sight when a put-token for another entity comes at it', async () => {
    const clock = scriptedClock();
    const { auth, tokens, dropped, watchLink } = watchOneLink(clock);
    watchLink();

    // Before the timer fires, a token for another queue lands with the clock at the expiry.
    clock.ms = EXPIRES_AT_MS;
    auth.add({ path: 'queue-b', rights: ['Listen'], expiresAtMs: EXPIRES_AT_MS + 60_000 });
    tokens.schedule();
    await droppedPromptly(dropped, tokens);
  });
});
