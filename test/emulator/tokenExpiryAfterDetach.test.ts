import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';

import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { CbsClient } from '../support/cbsClient';
import { signSasToken } from '../support/sasToken';
import { startStallingProxy } from '../support/stallingProxy';
import { startBrokerWithManagement } from './http/brokerSupport';

// Review CK: a link the broker had detached (its queue deleted) and whose client had not yet
// answered was attached and detached a second time when its token expired, so the client saw
// its link open again and then a token error that was not why the link ended. One detach only.

describe('emulator: a token expiring after the broker detached its link', () => {
  it('sends nothing more on that link', async () => {
    const broker = await startBrokerWithManagement({ queues: ['ckx-deleted'] });
    const proxy = await startStallingProxy(broker.emulator.port);
    const client = await CbsClient.open(proxy.port);
    try {
      const endpoint = `sb://localhost:${broker.emulator.port}`;
      const expiresAt = Math.floor(Date.now() / 1000) + 3;
      const { name, key } = DEVELOPMENT_POLICY;
      const token = signSasToken(`${endpoint}/ckx-deleted`, expiresAt, name, key);
      assert.equal(await client.putToken(`${endpoint}/ckx-deleted`, token), 202);
      const receiver = client.receiver('ckx-deleted');
      await receiver.opened;
      let opens = 1;
      receiver.link.on('receiver_open', () => opens++);

      // Hold the client's answer to the detach until after the expiry.
      proxy.stall('toBroker');
      await broker.admin.deleteQueue('ckx-deleted');
      const ending = await receiver.ended;
      await sleep(expiresAt * 1000 - Date.now() + 1_500);
      proxy.resume();
      await sleep(300);

      assert.equal(ending.condition, 'amqp:not-found', ending.description);
      assert.equal(opens, 1, 'the broker attached the detached link again');
    } finally {
      client.close();
      await proxy.close();
      await broker.close();
    }
  });
});
