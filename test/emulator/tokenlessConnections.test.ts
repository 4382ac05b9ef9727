import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { CbsClients, type Ending } from '../support/cbsClient';
import { startTestEmulator, testClient } from '../support/emulator';
import { signRootToken } from '../support/sasToken';
import { captureLogger } from '../worker/support';

// Azure's AMQP guide: once the connection is open, attaching to $cbs and putting a token are
// the only permitted operations, and a connection with no valid token 20 seconds after it was
// established is dropped. So a link without a token is refused before the broker looks the
// entity up (a missing name answers like an existing one), and a token-less connection goes.

const UNAUTHORIZED = 'amqp:unauthorized-access';
const QUEUE = 'tokenless-existing';
const MISSING = 'tokenless-missing';
const DEADLINE_MS = 20_000;

describe('emulator: connections and links without a token', () => {
  let emulator: RunningEmulator;
  let endpoint: string;
  const log = captureLogger('debug');
  const raw = new CbsClients(() => emulator.port);

  before(async () => {
    emulator = await startTestEmulator({ queues: [QUEUE] }, { logger: log.logger });
    endpoint = `sb://localhost:${emulator.port}`;
  });

  after(async () => {
    raw.closeAll();
    await emulator.close();
  });

  it('refuses links to a missing and an existing entity alike before any put-token', async () => {
    const amqp = await raw.open();
    const endings = await Promise.all([
      amqp.receiver(QUEUE).ended,
      amqp.receiver(MISSING).ended,
      amqp.sender(QUEUE).ended,
      amqp.sender(MISSING).ended,
    ]);
    const shape = (ending: Ending, name: string) => ({
      condition: ending.condition,
      description: ending.description?.replace(name, '<entity>'),
    });
    const [receiver, missingReceiver, sender, missingSender] = endings;
    assert.equal(receiver!.condition, UNAUTHORIZED, receiver!.description);
    assert.match(receiver!.description ?? '', /'Listen' claim\(s\) are required/);
    assert.deepEqual(shape(missingReceiver!, MISSING), shape(receiver!, QUEUE));
    assert.equal(sender!.condition, UNAUTHORIZED, sender!.description);
    assert.deepEqual(shape(missingSender!, MISSING), shape(sender!, QUEUE));

    // With a token for it, a missing entity is reported as missing (MessagingEntityNotFound).
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const token = signRootToken(`${endpoint}/${MISSING}`, expiresAt);
    assert.equal(await amqp.putToken(`${endpoint}/${MISSING}`, token), 202);
    assert.equal((await amqp.receiver(MISSING).ended).condition, 'amqp:not-found');
  });

  it('closes a connection with no valid token 20 s after open; others stay', async () => {
    const tokenless = await raw.open();
    const openedAtMs = Date.now();
    const withToken = await raw.open();
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const token = signRootToken(`${endpoint}/${QUEUE}`, expiresAt);
    assert.equal(await withToken.putToken(`${endpoint}/${QUEUE}`, token), 202);
    // The SDK puts its token before its first link, so the deadline never touches it.
    const sdk = testClient(emulator.connectionString);
    const sender = sdk.createSender(QUEUE);
    await sender.sendMessages({ body: 'first' });

    const stillOpen = sleep(DEADLINE_MS + 3_000, undefined, { ref: false }).then(() => {
      throw new Error('the token-less connection is still open');
    });
    const closed = await Promise.race([tokenless.closed, stillOpen]);
    assert.equal(closed.condition, UNAUTHORIZED, closed.description);
    assert.match(closed.description ?? '', /No valid token was put on \$cbs within 20 seconds/);
    assert.ok(closed.atMs - openedAtMs >= DEADLINE_MS - 100, `${closed.atMs - openedAtMs} ms`);
    assert.ok(closed.atMs - openedAtMs < DEADLINE_MS + 2_000, `${closed.atMs - openedAtMs} ms`);

    await sleep(500);
    const receiver = withToken.receiver(QUEUE);
    await receiver.opened;
    await sender.sendMessages({ body: 'second' });
    await sleep(300);
    assert.ok(receiver.link.is_open());
    assert.deepEqual(receiver.bodies, ['first', 'second']);
    const drops = log
      .lines()
      .filter((line) => line.msg === 'no valid token put in time; closing the connection');
    assert.equal(drops.length, 1, JSON.stringify(drops));
    await sdk.close();
  });
});
