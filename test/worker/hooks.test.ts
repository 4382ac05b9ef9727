import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AppRegistry } from '../../src/worker/coreModule';
import { runAppStartHooks } from '../../src/worker/hooks';

describe('app hooks', () => {
  it('reports a failing appStart hook as the app hook failing, with its error', async () => {
    const registry = new AppRegistry(() => undefined);
    const ran: string[] = [];
    registry.hooks.set('appStart', [
      () => {
        throw new Error('cannot open /data/ledger.jsonl');
      },
      () => {
        ran.push('second');
      },
    ]);

    await assert.rejects(runAppStartHooks(registry, '/app'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'AppStartHookFailed');
      assert.equal(error.message, "the app's appStart hook failed: cannot open /data/ledger.jsonl");
      assert.equal((error.cause as Error).message, 'cannot open /data/ledger.jsonl');
      return true;
    });
    assert.deepEqual(ran, [], 'a failing hook stops the ones after it, as in the Node worker');
  });
});
