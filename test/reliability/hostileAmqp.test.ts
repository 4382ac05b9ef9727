import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import { testClient, withKey } from '../support/emulator';
import { installCleanups, onCleanup } from './harness';
import {
  connectionChurn,
  hostileFrames,
  rawConnection,
  sasToken,
  UNAUTHORIZED,
  withToken,
  type ChurnReport,
} from './hostileAmqp';
import { seededRandom } from './hostileBodies';
import { sleep, spawnEmulator, type HeapReport } from './support';

// Issue 7, item 10: hostile AMQP input to an emulator process, while a well-behaved client keeps
// sending and receiving, with the heap measured after garbage collection before and after.

installCleanups();

const QUEUE = 'rel-amqp-q';
const OTHER_QUEUE = 'rel-amqp-other';
const ROOT = { name: 'RootManageSharedAccessKey', key: 'SAS_KEY_VALUE' };
const LISTENER = {
  name: 'rel-listener',
  key: 'rel-listener-key-9f8e7d',
  rights: ['Listen' as const],
};

/** AMQP connections opened and dropped per round; a multiple of 4 (see connectionChurn). */
const CHURN_CONNECTIONS = 400;
const CHURN_PARALLEL = 50;
/**
 * Rounds before the baseline. V8 compiles and optimises the emulator's hot paths over the
 * first rounds (about 0.8 MB of code and its metadata in heap snapshot diffs), a one-off cost
 * that levels off after about four rounds; two take most of it.
 */
const WARM_UP_ROUNDS = 2;
const ROUNDS_PER_BATCH = 3;
/**
 * How much a second batch of rounds may add to the heap, as a share of the baseline. Each
 * batch drops 1,200 AMQP connections with 4,800 links; a leak of ~450 bytes per connection
 * exceeds the limit. Leaks of whole objects are caught exactly by the live-object counts; the
 * heap readings after warm-up moved by -2.5 % to +1.5 % between batches in repeated runs.
 */
const MAX_SECOND_BATCH_GROWTH = 0.05;
const SETTLE_TIMEOUT_MS = 5000;

/** What every churned connection must see: anonymous links refused, tokens honoured in scope. */
function expectedChurn(connections: number): ChurnReport {
  const half = connections / 2;
  return {
    [`anonymous:receiver:${UNAUTHORIZED}`]: half,
    [`anonymous:sender:${UNAUTHORIZED}`]: half,
    'authorised:cbs:202': half,
    // Unsettled, each reply would stay in the broker's session buffer until the client left.
    'authorised:cbs:pre-settled': half,
    'authorised:granted receiver:attached': half,
    [`authorised:out-of-scope sender:${UNAUTHORIZED}`]: half,
  };
}

async function roundTrip(client: ServiceBusClient, id: string): Promise<void> {
  const sender = client.createSender(QUEUE);
  await sender.sendMessages({ body: id, messageId: id });
  await sender.close();
  const receiver = client.createReceiver(QUEUE);
  const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  assert.equal(message?.messageId, id, 'the healthy client is served');
  await receiver.completeMessage(message!);
  await receiver.close();
}

describe('hostile AMQP input', () => {
  it('keeps serving and allows nothing unauthorised under hostile input', async (t) => {
    const emulator = await spawnEmulator({
      queues: [QUEUE, OTHER_QUEUE],
      namespace: {
        policies: [{ ...ROOT, rights: ['Manage', 'Send', 'Listen'] }, LISTENER],
      },
    });
    onCleanup(() => emulator.stop());
    const healthy = testClient(emulator.connectionString);
    onCleanup(() => healthy.close());
    const random = seededRandom(10);
    const endpoint = emulator.connectionString.replace(/^Endpoint=sb:\/\/([^;]*);.*$/, 'sb://$1');

    // Credentials that must not let anything in.
    const tryIntruders = async (): Promise<void> => {
      const now = Math.floor(Date.now() / 1000);
      const token = (resource: string, expiresAtSeconds: number, key: string) =>
        withToken(
          emulator.connectionString,
          sasToken(`${endpoint}/${resource}`, expiresAtSeconds, ROOT.name, key),
        );
      const refused: Array<[string, string]> = [
        ['a forged signature', token(QUEUE, now + 600, 'not-the-key')],
        ['an expired token', token(QUEUE, now - 5, ROOT.key)],
        ['a token for another queue', token(OTHER_QUEUE, now + 600, ROOT.key)],
        ['an unknown policy', withKey(emulator.connectionString, 'nobody', ROOT.key)],
        ['a Listen key sending', withKey(emulator.connectionString, LISTENER.name, LISTENER.key)],
      ];
      for (const [what, connectionString] of refused) {
        const intruder = testClient(connectionString);
        await assert.rejects(
          intruder.createSender(QUEUE).sendMessages({ body: what, messageId: `intruder-${what}` }),
          (error: { code?: string }) => error.code === 'UnauthorizedAccess',
          `${what} is refused`,
        );
        await intruder.close();
      }
    };

    const hostileRound = async (name: string): Promise<void> => {
      await Promise.all(
        hostileFrames(random).map((bytes) => rawConnection(emulator.port, bytes, 100)),
      );
      await Promise.all(
        Array.from({ length: 40 }, () =>
          rawConnection(emulator.port, randomBytes(1 + Math.floor(random() * 2000)), 20),
        ),
      );
      const churn = await connectionChurn({
        port: emulator.port,
        endpoint,
        connections: CHURN_CONNECTIONS,
        parallel: CHURN_PARALLEL,
        protectedQueue: QUEUE,
        grantedQueue: OTHER_QUEUE,
        policy: ROOT,
      });
      assert.deepEqual(
        churn,
        expectedChurn(CHURN_CONNECTIONS),
        `${name}: every churned link ends as its credentials allow`,
      );
      await roundTrip(healthy, name);
      await tryIntruders();
    };
    const rounds = async (batch: string, count: number): Promise<void> => {
      for (let round = 0; round < count; round += 1) await hostileRound(`${batch}-${round}`);
    };
    // The broker handles the last sockets' close events shortly after our side has let go, so
    // the counts are read until they match the baseline (a leak never does) or time runs out.
    const settledReport = async (expected?: HeapReport): Promise<HeapReport> => {
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      for (;;) {
        await sleep(200);
        const report = await emulator.heapReport();
        const settled = !expected || isDeepStrictEqual(report.liveObjects, expected.liveObjects);
        if (settled || Date.now() > deadline) return report;
      }
    };

    await rounds('warm-up', WARM_UP_ROUNDS);
    const atStart = await settledReport();
    const startedAt = Date.now();
    await rounds('first', ROUNDS_PER_BATCH);
    const afterFirst = await settledReport(atStart);
    await rounds('second', ROUNDS_PER_BATCH);
    const atEnd = await settledReport(atStart);
    const elapsedMs = Date.now() - startedAt;

    const peeker = healthy.createReceiver(QUEUE);
    const left = await peeker.peekMessages(100);
    await peeker.close();
    assert.deepEqual(
      left.map((m) => m.messageId),
      [],
      'no intruder message got in',
    );
    await roundTrip(healthy, 'healthy-after');

    // Figures for the README's 10 % target; the assertion below is only about growth.
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
    const percent = (bytes: number) => `${((bytes / atStart.heapUsed - 1) * 100).toFixed(1)} %`;
    t.diagnostic(
      `heap after GC: ${mb(atStart.heapUsed)} after warm-up, ${mb(afterFirst.heapUsed)} ` +
        `(${percent(afterFirst.heapUsed)}) after ${ROUNDS_PER_BATCH} rounds, ` +
        `${mb(atEnd.heapUsed)} (${percent(atEnd.heapUsed)}) after ${2 * ROUNDS_PER_BATCH}; ` +
        `live ${JSON.stringify(atEnd.liveObjects)}`,
    );
    // Only the healthy client is connected at each reading, as after the warm-up.
    assert.deepEqual(
      atEnd.liveObjects,
      atStart.liveObjects,
      'the emulator keeps no socket, connection, session, link, consumer or timer of a client ' +
        'that left',
    );

    const secondBatchGrowth = (atEnd.heapUsed - afterFirst.heapUsed) / atStart.heapUsed;
    assert.ok(
      secondBatchGrowth < MAX_SECOND_BATCH_GROWTH,
      `no unbounded growth: the second batch added ${(secondBatchGrowth * 100).toFixed(1)} % ` +
        `of the baseline heap`,
    );
    assert.ok(elapsedMs < 120_000, `bounded in time (${elapsedMs} ms)`);
    assert.equal(emulator.child.exitCode, null, 'the emulator is still running');
  });
});
