import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { isServiceBusError, type ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { CbsClients, type Ending } from '../support/cbsClient';
import { startTestEmulator, testClient } from '../support/emulator';
import { signRootToken, signSasToken } from '../support/sasToken';

// The AMQP guide: "When a token expires, Service Bus promptly drops all links on the
// connection to the respective entity." A put-token for the audience before then keeps them
// (the SDK renews so), and so does another live token on the connection covering the entity.

const UNAUTHORIZED = 'amqp:unauthorized-access';
const LISTENER = { name: 'listener', key: 'listen-key-expiry', rights: ['Listen' as const] };
const QUEUES = {
  sdkBatch: 'expiry-sdk-batch',
  sdkStream: 'expiry-sdk-stream',
  sdkKeyed: 'expiry-sdk-keyed',
  short: 'expiry-raw-short',
  long: 'expiry-raw-long',
  renewed: 'expiry-raw-renewed',
  covered: 'expiry-raw-covered',
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The link's end, or a failure once it has stayed attached well past the expiry. */
function endedBy<T>(ended: Promise<T>, expiresAtSeconds: number): Promise<T> {
  const deadlineMs = expiresAtSeconds * 1000 + 3_000 - Date.now();
  const stillOpen = sleep(deadlineMs, undefined, { ref: false }).then(() => {
    throw new Error('the link stayed attached after its token expired');
  });
  return Promise.race([ended, stillOpen]);
}

/**
 * A step the test needs done while the token is live (an attach, a renewal) that came after
 * the expiry is the machine's slowness, not the broker's fault, and fails saying so.
 */
function assertBeforeExpiry(step: string, expiresAtSeconds: number): void {
  const spareMs = expiresAtSeconds * 1000 - Date.now();
  assert.ok(spareMs > 0, `${step} ${-spareMs} ms after the token expired`);
}

function assertExpiredDetach(ending: Ending, queue: string, expiresAtSeconds: number): void {
  assert.equal(ending.condition, UNAUTHORIZED, ending.description);
  assert.match(ending.description ?? '', /expired/);
  assert.ok(ending.description?.includes(`'${queue}'`), ending.description);
  // Promptly: at the expiry (whole seconds), not before it and well within a second after.
  assert.ok(ending.atMs >= expiresAtSeconds * 1000 - 50, `${ending.atMs} < ${expiresAtSeconds}`);
  assert.ok(ending.atMs < expiresAtSeconds * 1000 + 1_000, `${ending.atMs} long after expiry`);
}

describe('emulator: links end when the token that authorized them expires', () => {
  let emulator: RunningEmulator;
  let root: ServiceBusClient;
  let endpoint: string;
  const raw = new CbsClients(() => emulator.port);

  before(async () => {
    emulator = await startTestEmulator({
      queues: Object.values(QUEUES),
      namespace: { policies: [DEVELOPMENT_POLICY, LISTENER] },
    });
    root = testClient(emulator.connectionString);
    endpoint = `sb://localhost:${emulator.port}`;
  });

  after(async () => {
    raw.closeAll();
    await root.close();
    await emulator.close();
  });

  /** A client whose connection string carries one token for the queue, listen-only. */
  function shortLivedClient(queue: string, expiresAtSeconds: number): ServiceBusClient {
    const token = signSasToken(
      `${endpoint}/${queue}`,
      expiresAtSeconds,
      LISTENER.name,
      LISTENER.key,
    );
    const endpointPart = /Endpoint=[^;]*;/.exec(emulator.connectionString)![0];
    const settings = `SharedAccessSignature=${token};UseDevelopmentEmulator=true;`;
    return testClient(`${endpointPart}${settings}`);
  }

  const rootToken = (path: string, expiresAt: number) =>
    signRootToken(`${endpoint}/${path}`, expiresAt);

  async function takeAll(queue: string): Promise<unknown[]> {
    const receiver = root.createReceiver(queue, { receiveMode: 'receiveAndDelete' });
    const messages = await receiver.receiveMessages(10, { maxWaitTimeInMs: 500 });
    await receiver.close();
    return messages.map((message) => message.body);
  }

  it('SDK: after expiry the next receive fails with UnauthorizedAccess', async () => {
    const expiresAt = nowSeconds() + 3;
    const client = shortLivedClient(QUEUES.sdkBatch, expiresAt);
    const receiver = client.createReceiver(QUEUES.sdkBatch);
    await root.createSender(QUEUES.sdkBatch).sendMessages({ body: 'before' });
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    assert.equal(first?.body, 'before');
    await receiver.completeMessage(first!);

    await sleep(expiresAt * 1000 - Date.now() + 500);
    await root.createSender(QUEUES.sdkBatch).sendMessages({ body: 'after' });
    await assert.rejects(receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 }), (error) => {
      assert.ok(isServiceBusError(error), String(error));
      assert.equal(error.code, 'UnauthorizedAccess', error.message);
      return true;
    });
    await client.close();
    assert.deepEqual(await takeAll(QUEUES.sdkBatch), ['after']);
  });

  it('SDK: a subscribed receiver is detached; a keyed (renewing) client is not', async () => {
    const expiresAt = nowSeconds() + 3;
    const client = shortLivedClient(QUEUES.sdkStream, expiresAt);
    const expiring = { bodies: [] as unknown[], errors: [] as string[] };
    const keyed = { bodies: [] as unknown[], errors: [] as string[] };
    const keyedClient = testClient(emulator.connectionString);
    const subscriptions = [
      client.createReceiver(QUEUES.sdkStream).subscribe({
        processMessage: async (message) => void expiring.bodies.push(message.body),
        processError: async ({ error }) =>
          void expiring.errors.push(
            isServiceBusError(error) ? `${error.code}: ${error.message}` : String(error),
          ),
      }),
      keyedClient.createReceiver(QUEUES.sdkKeyed).subscribe({
        processMessage: async (message) => void keyed.bodies.push(message.body),
        processError: async ({ error }) => void keyed.errors.push(String(error)),
      }),
    ];
    await root.createSender(QUEUES.sdkStream).sendMessages({ body: 'before' });
    await sleep(expiresAt * 1000 - Date.now() + 500);
    await root.createSender(QUEUES.sdkStream).sendMessages({ body: 'after' });
    await root.createSender(QUEUES.sdkKeyed).sendMessages({ body: 'keyed' });
    await sleep(1_500);

    assert.deepEqual(expiring.bodies, ['before']);
    assert.ok(
      expiring.errors.some((error) => /^UnauthorizedAccess: .*expired/.test(error)),
      expiring.errors.join('\n'),
    );
    assert.deepEqual(keyed, { bodies: ['keyed'], errors: [] });
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    await Promise.all([client.close(), keyedClient.close()]);
    assert.deepEqual(await takeAll(QUEUES.sdkStream), ['after']);
  });

  it('rhea: drops the links to the expired entity only, with a clear description', async () => {
    const amqp = await raw.open();
    const expiresAt = nowSeconds() + 3;
    assert.equal(
      await amqp.putToken(`${endpoint}/${QUEUES.short}`, rootToken(QUEUES.short, expiresAt)),
      202,
    );
    const longToken = rootToken(QUEUES.long, expiresAt + 60);
    assert.equal(await amqp.putToken(`${endpoint}/${QUEUES.long}`, longToken), 202);
    const receiver = amqp.receiver(QUEUES.short);
    const sender = amqp.sender(QUEUES.short);
    const other = amqp.receiver(QUEUES.long);
    await Promise.all([receiver.opened, sender.opened, other.opened]);
    assertBeforeExpiry('the links opened', expiresAt);

    const [receiverEnd, senderEnd] = await Promise.all([
      endedBy(receiver.ended, expiresAt),
      endedBy(sender.ended, expiresAt),
    ]);
    assertExpiredDetach(receiverEnd, QUEUES.short, expiresAt);
    assertExpiredDetach(senderEnd, QUEUES.short, expiresAt);
    assert.match(senderEnd.description ?? '', /'Send'/);
    assert.match(receiverEnd.description ?? '', /'Listen'/);

    await root.createSender(QUEUES.long).sendMessages({ body: 'still-attached' });
    await sleep(300);
    assert.ok(other.link.is_open());
    assert.deepEqual(other.bodies, ['still-attached']);
  });

  it('rhea: a put-token that renews the audience before expiry keeps the links', async () => {
    const amqp = await raw.open();
    const expiresAt = nowSeconds() + 2;
    const audience = `${endpoint}/${QUEUES.renewed}`;
    assert.equal(await amqp.putToken(audience, rootToken(QUEUES.renewed, expiresAt)), 202);
    const receiver = amqp.receiver(QUEUES.renewed);
    await receiver.opened;
    assertBeforeExpiry('the links opened', expiresAt);

    // Halfway to the expiry: the token lives 1 to 2 s (whole seconds), too little for a fixed
    // wait of 1 s to land before the expiry every time.
    await sleep((expiresAt * 1000 - Date.now()) / 2);
    assert.equal(await amqp.putToken(audience, rootToken(QUEUES.renewed, expiresAt + 60)), 202);
    assertBeforeExpiry('the renewal was answered', expiresAt);
    await sleep(expiresAt * 1000 - Date.now() + 700);
    await root.createSender(QUEUES.renewed).sendMessages({ body: 'renewed' });
    await sleep(300);
    assert.ok(receiver.link.is_open());
    assert.deepEqual(receiver.bodies, ['renewed']);
  });

  it('rhea: a live namespace-wide token on the connection keeps the links', async () => {
    const amqp = await raw.open();
    const expiresAt = nowSeconds() + 2;
    const entityToken = rootToken(QUEUES.covered, expiresAt);
    assert.equal(await amqp.putToken(`${endpoint}/${QUEUES.covered}`, entityToken), 202);
    const wide = signSasToken(`${endpoint}/`, expiresAt + 60, LISTENER.name, LISTENER.key);
    assert.equal(await amqp.putToken(`${endpoint}/`, wide), 202);
    const receiver = amqp.receiver(QUEUES.covered);
    const sender = amqp.sender(QUEUES.covered);
    await Promise.all([receiver.opened, sender.opened]);
    assertBeforeExpiry('the links opened', expiresAt);

    // The wide token is Listen-only: the sender loses its Send claim, the receiver keeps Listen.
    const senderEnd = await endedBy(sender.ended, expiresAt);
    assertExpiredDetach(senderEnd, QUEUES.covered, expiresAt);
    await root.createSender(QUEUES.covered).sendMessages({ body: 'covered' });
    await sleep(300);
    assert.ok(receiver.link.is_open());
    assert.deepEqual(receiver.bodies, ['covered']);
  });
});
