import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { CbsClients } from '../support/cbsClient';
import { collectingLogger } from '../support/collectingLogger';
import { startTestEmulator } from '../support/emulator';
import { signRootToken } from '../support/sasToken';

// AMQP 1.0 (2.5.5): ending a session ends its links. A client may end a session without
// detaching its links first; the links it sent on must leave the token watch with it, not wait
// for the token's expiry to be "detached" again (review of B45's change).

const QUEUE = 'session-end-token';

describe('emulator: a session ended without detaching its links', () => {
  let emulator: RunningEmulator;
  const logger = collectingLogger();
  const raw = new CbsClients(() => emulator.port);

  before(async () => {
    emulator = await startTestEmulator({ queues: [QUEUE] }, { logger });
  });

  after(async () => {
    raw.closeAll();
    await emulator.close();
  });

  it('takes its sending links out of the token watch', async () => {
    const amqp = await raw.open();
    const endpoint = `sb://localhost:${emulator.port}`;
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    assert.equal(
      await amqp.putToken(`${endpoint}/${QUEUE}`, signRootToken(`${endpoint}/${QUEUE}`, expiresAt)),
      202,
    );
    const sender = amqp.sender(QUEUE);
    await sender.opened;
    const session = (sender.link as unknown as { session: { end(): void } }).session;
    session.end();

    await sleep(expiresAt * 1000 - Date.now() + 700);
    const detached = logger.lines.filter(
      (line) =>
        line.message === 'token expired; link detached' && line.fields?.link === sender.link.name,
    );
    assert.deepEqual(detached, [], 'a link of an ended session was detached at the expiry');
  });
});
