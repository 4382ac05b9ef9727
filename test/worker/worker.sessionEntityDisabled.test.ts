import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import { startBrokerWithManagement } from '../emulator/http/brokerSupport';
import { sendToSession, slowSessionApp } from '../reliability/sessionSupport';
import { spawnWorker, stopWorkerProcess, type WorkerProcess } from './support';

// Review CD: a session whose entity was made ReceiveDisabled (the broker detaches its link with
// com.microsoft:entity-disabled) or deleted ended with "Session link closed while the session
// was held (the SDK closes it when a receive ends late, as under heavy load)": the broker's
// reason was known, and neither the SDK nor the load had anything to do with it.

// One session at a time, held for 30 s after its message, while its 3 s handler runs.
const HOST_SERVICE_BUS = { maxConcurrentSessions: 1, sessionIdleTimeout: '00:00:30' };

const isLine = (text: string) => (l: Record<string, unknown>) => String(l.msg).startsWith(text);

/** The line that reports the held session's end as the broker's doing. */
function sessionEnd(worker: WorkerProcess): Promise<Record<string, unknown>> {
  return worker.waitForLine(
    "the session's end",
    isLine('Service Bus closed the session link'),
    15_000,
  );
}

describe('worker: the entity of a held session disabled or deleted', () => {
  const cleanups: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A broker with the session queue, a worker on it, and a handler running for session 'held'. */
  async function heldSession(queueName: string) {
    const broker = await startBrokerWithManagement({
      queues: [{ name: queueName, requiresSession: true, lockDurationMs: 30_000 }],
    });
    cleanups.push(() => broker.close());
    const app = slowSessionApp('heldSession', queueName, HOST_SERVICE_BUS, 3000);
    const worker = spawnWorker(app, { SessionConnection: broker.connectionString });
    cleanups.push(() => stopWorkerProcess(worker));
    await worker.waitForLine('worker ready', isLine('Worker ready'), 20_000);
    await sendToSession(broker.connectionString, queueName, 'held-1', 'held');
    await worker.waitForLine('the handler to start', isLine('handler started'), 15_000);
    return { broker, worker };
  }

  it('names MessagingEntityDisabled when the entity becomes ReceiveDisabled', async () => {
    const { broker, worker } = await heldSession('held-disabled');

    const queue = await broker.admin.getQueue('held-disabled');
    await broker.admin.updateQueue({ ...queue, status: 'ReceiveDisabled' });
    const ended = await sessionEnd(worker);
    const refused = await worker.waitForLine(
      'the next accept refused',
      isLine('Service Bus refused the receiver'),
      15_000,
    );

    assert.equal(ended.level, 'warn');
    assert.equal(ended.sessionId, 'held');
    assert.equal(ended.code, 'MessagingEntityDisabled');
    assert.match(String(ended.error), /ReceiveDisabled/);
    assert.ok(!worker.lines().some(isLine('Session link closed')), worker.stdout());
    assert.ok(!worker.lines().some(isLine('Session lock lost')), worker.stdout());
    assert.equal(refused.code, 'MessagingEntityDisabled');
    // It used to send the operator to the connection setting and the entity's existence.
    assert.match(String(refused.msg), /The entity is disabled: set its Status to Active/);
  });

  it('names MessagingEntityNotFound when the entity is deleted', async () => {
    const { broker, worker } = await heldSession('held-deleted');

    await broker.admin.deleteQueue('held-deleted');
    const ended = await sessionEnd(worker);

    assert.equal(ended.sessionId, 'held');
    assert.equal(ended.code, 'MessagingEntityNotFound');
    assert.ok(!worker.lines().some(isLine('Session link closed')), worker.stdout());
  });
});
