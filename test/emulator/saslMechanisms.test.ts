import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import type { Sender } from 'rhea';

import type { RunningEmulator } from '../../src/emulator';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { CbsClient, type Ending, type WatchedLink } from '../support/cbsClient';
import { startTestEmulator, testClient } from '../support/emulator';
import { RawPeer, SASL_HEADER } from '../support/rawAmqp';
import { signSasToken } from '../support/sasToken';

// Azure offers [MSSBCBS, PLAIN, ANONYMOUS, EXTERNAL] (a client's frame trace against a
// namespace, smallrye/smallrye-reactive-messaging#987); EXTERNAL needs TLS, which the emulator
// does not speak. Azure.Messaging.ServiceBus (.NET) registers one handler, named MSSBCBS, and
// puts CBS tokens after it.

const QUEUE = 'sasl-queue';

const clients: CbsClient[] = [];

/** Rejects when the connection ends first, so that a refused login fails fast. */
async function opened(port: number, options: object): Promise<CbsClient> {
  const client = await Promise.race([
    CbsClient.open(port, options),
    sleep(5_000, undefined, { ref: false }).then(() => {
      throw new Error('the connection did not open');
    }),
  ]);
  clients.push(client);
  return client;
}

/** Sends one message on the link and resolves with how the broker settled it. */
function sendOn(sender: WatchedLink<Sender>, body: string): Promise<string> {
  return new Promise((resolve) => {
    const delivery = sender.link.send({ body });
    for (const outcome of ['accepted', 'rejected', 'released', 'modified']) {
      sender.link.once(outcome, (context) => {
        if (context.delivery === delivery) resolve(outcome);
      });
    }
  });
}

/** Puts a token of the development policy for the queue; resolves with the status code. */
function putQueueToken(client: CbsClient, port: number): Promise<number> {
  const audience = `sb://localhost:${port}/${QUEUE}`;
  const expiresAt = Math.floor(Date.now() / 1000) + 600;
  const { name, key } = DEVELOPMENT_POLICY;
  return client.putToken(audience, signSasToken(audience, expiresAt, name, key));
}

function ended(link: { ended: Promise<Ending> }): Promise<Ending> {
  return Promise.race([
    link.ended,
    sleep(5_000, undefined, { ref: false }).then((): Ending => ({
      condition: 'still attached',
      description: '',
      atMs: 0,
    })),
  ]);
}

describe('emulator: SASL mechanisms as Azure offers them', () => {
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startTestEmulator({ queues: [QUEUE] });
  });

  after(async () => {
    for (const client of clients) client.close();
    await emulator.close();
  });

  it('offers MSSBCBS and ANONYMOUS, in that order', async () => {
    const peer = await RawPeer.connect(emulator.port);

    peer.write(SASL_HEADER);

    assert.ok(await peer.waitFor('sasl_mechanisms'), `got ${peer.received.join(', ')}`);
    const offered = peer.frames.find((frame) => frame.name === 'sasl_mechanisms');
    assert.deepEqual(offered?.fields.sasl_server_mechanisms, ['MSSBCBS', 'ANONYMOUS']);
    peer.destroy();
  });

  it('takes MSSBCBS as the .NET client chooses it, then a put-token and a send', async () => {
    let chosen = false;
    // An anonymous exchange under the .NET client's name for it, as rhea's client mechanisms go.
    const mssbcbs = () => ({
      start(callback: (error: undefined, response: Buffer) => void) {
        chosen = true;
        callback(undefined, Buffer.alloc(0));
      },
    });
    const client = await opened(emulator.port, { sasl_mechanisms: { MSSBCBS: mssbcbs } });
    assert.ok(chosen, 'the client did not go through MSSBCBS');

    // MSSBCBS grants nothing by itself: links wait for a token, as after ANONYMOUS.
    const before = client.sender(QUEUE);
    assert.equal((await ended(before)).condition, 'amqp:unauthorized-access');
    assert.equal(await putQueueToken(client, emulator.port), 202);
    const sender = client.sender(QUEUE);
    await sender.opened;
    assert.equal(await sendOn(sender, 'via MSSBCBS'), 'accepted');

    const sdk = testClient(emulator.connectionString);
    const receiver = sdk.createReceiver(QUEUE, { receiveMode: 'receiveAndDelete' });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    assert.equal(message?.body, 'via MSSBCBS');
    await sdk.close();
  });
});
