import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { isServiceBusError } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { CbsClients, type CbsClient, type Ending, type ManagementPair } from '../support/cbsClient';
import { startTestEmulator, testClient } from '../support/emulator';
import { signRootToken, signSasToken } from '../support/sasToken';
import { captureLogger } from '../worker/support';

// Azure's AMQP guide: before a put-token only $cbs may be used, and "When a token expires,
// Service Bus promptly drops all links on the connection to the respective entity". The SDK
// puts a token for `<entity>/$management` before it attaches that pair of links, so they are
// authorized and dropped like the entity's sender and receiver links.

const UNAUTHORIZED = 'amqp:unauthorized-access';
const LISTENER = { name: 'listener', key: 'listen-key-mgmt', rights: ['Listen' as const] };
const TOPIC = 'mgmt-auth-topic';
const QUEUES = {
  existing: 'mgmt-auth-existing',
  short: 'mgmt-auth-short',
  long: 'mgmt-auth-long',
  renewed: 'mgmt-auth-renewed',
  covered: 'mgmt-auth-covered',
  sdk: 'mgmt-auth-sdk',
};
const MISSING = 'mgmt-auth-missing';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The link's end, or a failure once it has stayed attached well past the expiry. */
function endedBy(ended: Promise<Ending>, expiresAtSeconds: number): Promise<Ending> {
  const deadlineMs = expiresAtSeconds * 1000 + 3_000 - Date.now();
  const stillOpen = sleep(deadlineMs, undefined, { ref: false }).then(() => {
    throw new Error('the $management link stayed attached after its token expired');
  });
  return Promise.race([ended, stillOpen]);
}

/** The refusal of a link attached without a token, or a failure if it stays attached. */
function refused(ended: Promise<Ending>): Promise<Ending> {
  const stillOpen = sleep(3_000, undefined, { ref: false }).then(() => {
    throw new Error('the $management link was attached without a token for it');
  });
  return Promise.race([ended, stillOpen]);
}

/** Both links of the pair attached, and not refused right after. */
async function attached(pair: ManagementPair): Promise<void> {
  await Promise.all([pair.requests.opened, pair.replies.opened]);
  await sleep(100);
  assert.ok(pair.requests.link.is_open() && pair.replies.link.is_open(), 'pair detached');
}

describe('emulator: $management links take a token and end with it', () => {
  let emulator: RunningEmulator;
  let endpoint: string;
  const log = captureLogger('info');
  const raw = new CbsClients(() => emulator.port);

  before(async () => {
    emulator = await startTestEmulator(
      {
        queues: Object.values(QUEUES),
        topics: [{ name: TOPIC, subscriptions: ['watch'] }],
        namespace: { policies: [DEVELOPMENT_POLICY, LISTENER] },
      },
      { logger: log.logger },
    );
    endpoint = `sb://localhost:${emulator.port}`;
  });

  after(async () => {
    raw.closeAll();
    await emulator.close();
  });

  const rootToken = (path: string, expiresAt: number) =>
    signRootToken(`${endpoint}/${path}`, expiresAt);

  /** Puts a token signed for `entity` on the audience the SDK uses for its $management. */
  async function putManagementToken(amqp: CbsClient, entity: string, expiresAt: number) {
    const audience = `${endpoint}/${entity}/$management`;
    assert.equal(await amqp.putToken(audience, rootToken(entity, expiresAt)), 202);
  }

  it('rhea: refuses the pair without a token, a missing entity like existing ones', async () => {
    const amqp = await raw.open();
    const entities = [
      QUEUES.existing,
      `${QUEUES.existing}/$DeadLetterQueue`,
      TOPIC,
      `${TOPIC}/Subscriptions/watch`,
      `${TOPIC}/Subscriptions/watch/$DeadLetterQueue`,
      MISSING,
    ];
    const endings = await Promise.all(
      entities.map((entity) => {
        const pair = amqp.management(entity);
        return Promise.all([refused(pair.requests.ended), refused(pair.replies.ended)]);
      }),
    );

    // The same answer whatever the name: only the resource named in it differs.
    const shape = (ending: Ending, entity: string) => ({
      condition: ending.condition,
      description: ending.description?.replace(`'${entity.toLowerCase()}/$management'`, '<r>'),
    });
    const expected = shape(endings[0]![0], entities[0]!);
    assert.equal(expected.condition, UNAUTHORIZED, expected.description);
    assert.match(expected.description ?? '', /claim\(s\) are required .* Resource: <r>\.$/);
    entities.forEach((entity, index) => {
      for (const ending of endings[index]!) assert.deepEqual(shape(ending, entity), expected);
    });

    // A token for another entity does not open it; one for the queue opens its sub-queue's too.
    await putManagementToken(amqp, QUEUES.long, nowSeconds() + 600);
    const other = amqp.management(QUEUES.existing);
    assert.equal((await refused(other.requests.ended)).condition, UNAUTHORIZED);
    const queueToken = rootToken(QUEUES.existing, nowSeconds() + 600);
    assert.equal(await amqp.putToken(`${endpoint}/${QUEUES.existing}`, queueToken), 202);
    const deadLetters = amqp.management(`${QUEUES.existing}/$DeadLetterQueue`);
    await attached(deadLetters);
    assert.equal(await deadLetters.peek(), 204);
  });

  it("rhea: drops both links at expiry, keeps another entity's, refuses them after", async () => {
    const amqp = await raw.open();
    const expiresAt = nowSeconds() + 3;
    await putManagementToken(amqp, QUEUES.short, expiresAt);
    await putManagementToken(amqp, QUEUES.long, expiresAt + 60);
    const short = amqp.management(QUEUES.short);
    const long = amqp.management(QUEUES.long);
    await Promise.all([attached(short), attached(long)]);
    assert.equal(await short.peek(), 204);

    // Peeks sent across the expiry: each is answered, or its link is detached under it.
    const detached = short.requests.ended.then(() => 'detached');
    const outcomes: Promise<string>[] = [];
    await sleep(expiresAt * 1000 - Date.now() - 200);
    while (short.requests.link.is_open() && Date.now() < expiresAt * 1000 + 3_000) {
      outcomes.push(Promise.race([short.peek().then((status) => `${status}`), detached]));
      await sleep(10);
    }
    const ends = await Promise.all([
      endedBy(short.requests.ended, expiresAt),
      endedBy(short.replies.ended, expiresAt),
    ]);
    for (const outcome of await Promise.all(outcomes)) {
      assert.match(outcome, /^(204|401|detached)$/);
    }
    assert.ok(outcomes.length > 5, `${outcomes.length} peeks sent across the expiry`);
    for (const ending of ends) {
      assert.equal(ending.condition, UNAUTHORIZED, ending.description);
      assert.match(ending.description ?? '', /'mgmt-auth-short\/\$management' expired at /);
      assert.match(ending.description ?? '', /'Manage', 'Send' or 'Listen' claim\(s\)/);
      assert.ok(ending.atMs >= expiresAt * 1000 - 50, `${ending.atMs} < ${expiresAt}`);
      assert.ok(ending.atMs < expiresAt * 1000 + 1_000, `${ending.atMs} long after expiry`);
    }

    assert.equal(await long.peek(), 204);
    const again = amqp.management(QUEUES.short);
    assert.equal((await refused(again.requests.ended)).condition, UNAUTHORIZED);
  });

  it('rhea: a renewal, or a live namespace token of any right, keeps the links', async () => {
    const renewing = await raw.open();
    const expiresAt = nowSeconds() + 3;
    await putManagementToken(renewing, QUEUES.renewed, expiresAt);
    const renewed = renewing.management(QUEUES.renewed);

    const covered = await raw.open();
    await putManagementToken(covered, QUEUES.covered, expiresAt);
    const wide = signSasToken(`${endpoint}/`, expiresAt + 60, LISTENER.name, LISTENER.key);
    assert.equal(await covered.putToken(`${endpoint}/`, wide), 202);
    const coveredPair = covered.management(QUEUES.covered);
    await Promise.all([attached(renewed), attached(coveredPair)]);

    await sleep(1_000);
    await putManagementToken(renewing, QUEUES.renewed, expiresAt + 60);
    await sleep(expiresAt * 1000 - Date.now() + 700);
    for (const pair of [renewed, coveredPair]) {
      assert.ok(pair.requests.link.is_open() && pair.replies.link.is_open());
      assert.equal(await pair.peek(), 204);
    }
  });

  it('SDK: a SAS string client loses $management at expiry; a keyed one does not', async () => {
    const expiresAt = nowSeconds() + 4;
    const token = rootToken(QUEUES.sdk, expiresAt);
    const endpointPart = /Endpoint=[^;]*;/.exec(emulator.connectionString)![0];
    const client = testClient(
      `${endpointPart}SharedAccessSignature=${token};UseDevelopmentEmulator=true;`,
    );
    const keyed = testClient(emulator.connectionString);
    await keyed.createSender(QUEUES.sdk).sendMessages({ body: 'locked' });
    const receiver = client.createReceiver(QUEUES.sdk);
    const sender = client.createSender(QUEUES.sdk);
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    assert.equal(message?.body, 'locked');

    // Before the expiry every operation works over the client's $management links.
    const laterAt = new Date(Date.now() + 3_600_000);
    assert.equal((await receiver.peekMessages(1)).length, 1);
    await receiver.renewMessageLock(message!);
    await sender.scheduleMessages({ body: 'later' }, laterAt);
    const keyedReceiver = keyed.createReceiver(QUEUES.sdk);
    await keyedReceiver.peekMessages(1);

    await sleep(expiresAt * 1000 - Date.now() + 700);
    const dropped = log
      .lines()
      .filter((line) => line.msg === 'token expired; link detached')
      .filter((line) => String(line.entity).toLowerCase() === `${QUEUES.sdk}/$management`);
    assert.equal(dropped.length, 2, JSON.stringify(dropped));
    assert.equal(new Set(dropped.map((line) => line.connection)).size, 1);

    // The SDK opens the pair again with a put-token of the same token, which has expired.
    const attempts: [string, () => Promise<unknown>][] = [
      ['peek', () => receiver.peekMessages(1)],
      ['renew', () => receiver.renewMessageLock(message!)],
      ['schedule', () => sender.scheduleMessages({ body: 'too late' }, laterAt)],
    ];
    for (const [operation, attempt] of attempts) {
      await assert.rejects(attempt(), (error) => {
        assert.ok(isServiceBusError(error), `${operation}: ${String(error)}`);
        assert.equal(error.code, 'UnauthorizedAccess', `${operation}: ${error.message}`);
        assert.match(error.message, /expired/, operation);
        return true;
      });
    }

    // A keyed client renews its tokens (the SDK does so every 45 minutes): its pair stays.
    await keyedReceiver.peekMessages(1);
    const keyedSender = keyed.createSender(QUEUES.sdk);
    const [sequenceNumber] = await keyedSender.scheduleMessages({ body: 'keyed' }, laterAt);
    await keyedSender.cancelScheduledMessages(sequenceNumber!);
    await Promise.all([client.close(), keyed.close()]);
  });
});
