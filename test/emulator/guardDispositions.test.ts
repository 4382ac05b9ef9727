import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertStillServes, guardSuite, refusals } from '../support/guardSuite';
import { RawPeer, amqpFrame } from '../support/rawAmqp';

const QUEUE = 'guard-dispositions';

describe('emulator frame guard: disposition ranges', () => {
  const suite = guardSuite(QUEUE);

  for (const role of [true, false]) {
    it(`refuses a disposition of ids 0 to 2^32-1 (role ${role}) without a loop`, async () => {
      const peer = await RawPeer.open(suite.emulator.port);
      const startedAt = Date.now();

      peer.write(amqpFrame('disposition', { role, first: 0, last: 4294967295, settled: true }));

      // rhea's loop over four billion ids blocks the event loop (this process) for seconds.
      assert.ok(await peer.whenClosed(2000), 'the connection was not closed');
      const tookMs = Date.now() - startedAt;
      assert.ok(tookMs < 1000, `closed after ${tookMs} ms`);
      assert.equal(peer.closeCondition, 'amqp:resource-limit-exceeded');
      assert.match(refusals(suite).join('\n'), /a disposition range wider than a session/);
      await assertStillServes(suite, QUEUE);
    });
  }

  it('takes a disposition range a session can hold', async () => {
    const peer = await RawPeer.open(suite.emulator.port);

    peer.write(amqpFrame('disposition', { role: true, first: 0, last: 1000, settled: true }));

    assert.equal(await peer.whenClosed(300), false);
    peer.destroy();
  });
});
