import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { startTestEmulator } from '../support/emulator';
import { RawPeer } from '../support/rawAmqp';
import { signSasToken } from '../support/sasToken';

// A token's `sr` must name a Service Bus namespace; an empty one or `/` used to read as the
// whole namespace. The AMQP side verifies tokens with the same code as the management API.

describe('emulator: $cbs put-token and the resource a token names', () => {
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startTestEmulator({ queues: ['sr-queue'] });
  });

  after(() => emulator.close());

  async function putToken(resource: string): Promise<unknown> {
    const audience = `sb://localhost:${emulator.port}/sr-queue`;
    const { name, key } = DEVELOPMENT_POLICY;
    const token = signSasToken(resource, Math.floor(Date.now() / 1000) + 600, name, key);
    const peer = await RawPeer.open(emulator.port);
    const reply = await peer.putToken(audience, token);
    peer.destroy();
    return reply?.application_properties?.['status-code'];
  }

  for (const resource of ['', '/', 'sb://', 'ftp://localhost/sr-queue']) {
    it(`refuses a token whose sr is ${JSON.stringify(resource)} with 401`, async () => {
      assert.equal(await putToken(resource), 401);
    });
  }

  it('accepts a namespace token, whatever host it names', async () => {
    assert.equal(await putToken(`sb://localhost:${emulator.port}/`), 202);
    assert.equal(await putToken('amqps://other-name/'), 202);
  });
});
