import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import type { Sender } from 'rhea';

import type { RunningEmulator } from '../../src/emulator';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import type { SharedAccessPolicy } from '../../src/emulator/config/types';
import { CbsClient, type Ending, type WatchedLink } from '../support/cbsClient';
import { collectingLogger } from '../support/collectingLogger';
import { startTestEmulator, testClient } from '../support/emulator';
import { RawPeer, SASL_HEADER, saslInitFrame, saslResponseFrame } from '../support/rawAmqp';
import { signSasToken } from '../support/sasToken';

// Azure offers [MSSBCBS, PLAIN, ANONYMOUS, EXTERNAL] (a client's frame trace against a
// namespace, smallrye/smallrye-reactive-messaging#987); EXTERNAL needs TLS, which the emulator
// does not speak. Azure.Messaging.ServiceBus (.NET) registers one handler, named MSSBCBS, and
// puts CBS tokens after it. The AMQP guide: with PLAIN, the user name is a shared access
// policy's name and the password its key, and the policy's rights apply to the connection.

const QUEUE = 'sasl-queue';
const SENDER_ONLY: SharedAccessPolicy = {
  name: 'send-only',
  key: 'send-only-key',
  rights: ['Send'],
};
const WRONG_KEY = 'not-the-key-1f6c';
/** Azure's AMQP guide: a connection without a valid token is dropped after 20 seconds. */
const TOKEN_DEADLINE_MS = 20_000;
/** sasl-code `auth` (AMQP 1.0 part 5.3.3.6): authentication failed, bad credentials. */
const SASL_AUTH = 1;

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

const clients: CbsClient[] = [];

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
  const logger = collectingLogger();

  before(async () => {
    emulator = await startTestEmulator(
      { queues: [QUEUE], namespace: { policies: [DEVELOPMENT_POLICY, SENDER_ONLY] } },
      { logger },
    );
  });

  after(async () => {
    for (const client of clients) client.close();
    await emulator.close();
  });

  /** rhea chooses PLAIN when it has a user name and a password. */
  const loggedIn = (policy: SharedAccessPolicy): Promise<CbsClient> =>
    opened(emulator.port, { username: policy.name, password: policy.key });

  it('offers MSSBCBS, PLAIN and ANONYMOUS, in that order', async () => {
    const peer = await RawPeer.connect(emulator.port);

    peer.write(SASL_HEADER);

    assert.ok(await peer.waitFor('sasl_mechanisms'), `got ${peer.received.join(', ')}`);
    const offered = peer.frames.find((frame) => frame.name === 'sasl_mechanisms');
    assert.deepEqual(offered?.fields.sasl_server_mechanisms, ['MSSBCBS', 'PLAIN', 'ANONYMOUS']);
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

  it("logs in with PLAIN: the policy's rights on every entity, no token needed", async () => {
    const root = await loggedIn(DEVELOPMENT_POLICY);

    const sender = root.sender(QUEUE);
    await sender.opened;
    assert.equal(await sendOn(sender, 'via PLAIN'), 'accepted');
    const receiver = root.receiver(QUEUE);
    await receiver.opened;
    for (let waited = 0; receiver.bodies.length === 0 && waited < 3_000; waited += 50) {
      await sleep(50);
    }
    assert.deepEqual(receiver.bodies, ['via PLAIN']);
    assert.equal(receiver.link.is_open(), true);

    // A put-token still works on top of the login.
    assert.equal(await putQueueToken(root, emulator.port), 202);
  });

  it('gives a PLAIN login only the rights of its policy', async () => {
    const sendOnly = await loggedIn(SENDER_ONLY);

    const sender = sendOnly.sender(QUEUE);
    await sender.opened;
    assert.equal(await sendOn(sender, 'send-only'), 'accepted');
    const refused = await ended(sendOnly.receiver(QUEUE));
    assert.equal(refused.condition, 'amqp:unauthorized-access');
    assert.match(refused.description ?? '', /'Listen' claim\(s\) are required/);
  });

  it('keeps a PLAIN connection open past the 20 s a connection has to put a token', async () => {
    const root = await loggedIn(DEVELOPMENT_POLICY);
    const closed = root.closed.then((ending) => ending.condition ?? 'closed');

    const outcome = await Promise.race([closed, sleep(TOKEN_DEADLINE_MS + 1_500, 'open')]);

    assert.equal(outcome, 'open');
    const sender = root.sender(QUEUE);
    await sender.opened;
    assert.equal(await sendOn(sender, 'after the deadline'), 'accepted');
  });

  it('refuses EXTERNAL, which needs TLS, with outcome auth and ends the connection', async () => {
    const peer = await RawPeer.connect(emulator.port);

    peer.write(SASL_HEADER);
    peer.write(saslInitFrame('EXTERNAL'));

    assert.ok(await peer.waitFor('sasl_outcome'), `got ${peer.received.join(', ')}`);
    const outcome = peer.frames.find((frame) => frame.name === 'sasl_outcome');
    assert.equal(outcome?.fields.code, SASL_AUTH);
    assert.ok(await peer.whenClosed(2_000), 'the connection stayed open after the failure');
  });

  // Review CO: the socket of a failed login was read for another second, so a second init
  // was checked (one more key guess) and answered with a second outcome.
  it('answers one login per connection: a second sasl-init is refused, not checked', async () => {
    const peer = await RawPeer.connect(emulator.port);
    const warningsBefore = logger.warnings.length;
    const login = (key: string) => Buffer.from(`\0${DEVELOPMENT_POLICY.name}\0${key}`, 'utf8');

    // Both inits in one write: rhea would check the second as soon as the first failed.
    peer.write(
      Buffer.concat([
        SASL_HEADER,
        saslInitFrame('PLAIN', login(WRONG_KEY)),
        saslInitFrame('PLAIN', login(DEVELOPMENT_POLICY.key)),
      ]),
    );

    assert.ok(await peer.whenClosed(2_000), 'the connection stayed open');
    const outcomes = peer.frames.filter((frame) => frame.name === 'sasl_outcome');
    assert.deepEqual(
      outcomes.filter((frame) => frame.fields.code === 0),
      [],
      'a second login succeeded',
    );
    const refusal = logger.warnings
      .slice(warningsBefore)
      .find((w) => w.message === 'incoming AMQP refused; closing the connection');
    assert.equal(refusal?.fields?.reason, 'a second sasl-init: one SASL exchange per connection');
  });

  it('refuses a sasl-response, as no mechanism it offers sends a challenge', async () => {
    const peer = await RawPeer.connect(emulator.port);
    const warningsBefore = logger.warnings.length;

    peer.write(SASL_HEADER);
    peer.write(saslResponseFrame(Buffer.from('unasked', 'utf8')));

    assert.ok(await peer.whenClosed(2_000), 'the connection stayed open');
    const warnings = logger.warnings.slice(warningsBefore);
    const refusal = warnings.find(
      (w) => w.message === 'incoming AMQP refused; closing the connection',
    );
    assert.equal(refusal?.fields?.reason, 'a SASL frame other than sasl-init from the client');
    assert.equal(refusal?.fields?.remote, '127.0.0.1');
  });

  const wrongLogins: [string, string, string][] = [
    ['a wrong key', DEVELOPMENT_POLICY.name, WRONG_KEY],
    ['a policy name that does not exist', 'NoSuchPolicy', DEVELOPMENT_POLICY.key],
    ['a key with one more character', DEVELOPMENT_POLICY.name, `${DEVELOPMENT_POLICY.key}X`],
  ];
  for (const [what, user, password] of wrongLogins) {
    it(`refuses PLAIN with ${what}: outcome auth, logged without the key`, async () => {
      const peer = await RawPeer.connect(emulator.port);
      const warningsBefore = logger.warnings.length;

      peer.write(SASL_HEADER);
      peer.write(saslInitFrame('PLAIN', Buffer.from(`\0${user}\0${password}`, 'utf8')));

      assert.ok(await peer.waitFor('sasl_outcome'), `got ${peer.received.join(', ')}`);
      const outcome = peer.frames.find((frame) => frame.name === 'sasl_outcome');
      assert.equal(outcome?.fields.code, SASL_AUTH);
      const warnings = logger.warnings.slice(warningsBefore);
      const line = warnings.find((w) => w.message === 'SASL failed: wrong policy name or key');
      assert.ok(line, `no SASL failure logged: ${JSON.stringify(warnings)}`);
      assert.equal(line.fields?.remote, '127.0.0.1');
      assert.equal(line.fields?.mechanism, 'PLAIN');
      const logged = JSON.stringify(logger.warnings);
      for (const secret of [WRONG_KEY, DEVELOPMENT_POLICY.key]) {
        assert.equal(logged.includes(secret), false, `${secret} was logged`);
      }
      // rhea would read on, and take an AMQP header for the size of a huge SASL frame.
      assert.ok(await peer.whenClosed(2_000), 'the connection stayed open after the failure');
      peer.destroy();
    });
  }
});
