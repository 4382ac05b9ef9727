import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import {
  CbsClients,
  type CbsClient,
  type Ending,
  type ManagementPair,
} from '../support/cbsClient';
import { startTestEmulator } from '../support/emulator';
import { signRootToken } from '../support/sasToken';
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
});
