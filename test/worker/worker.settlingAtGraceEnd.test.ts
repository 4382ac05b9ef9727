import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import { type ProxiedWorker, startProxiedWorker } from './proxiedWorker';

// Trial CS F1: when the shutdown's grace period ends while an invocation's completes are on
// their way (sent, not yet answered: the network stopped moving bytes just as the worker
// settled), shutdown leaves them to that invocation: it sends no abandon after a complete, and
// the "Grace period over" line counts them as settlements not yet confirmed. A batch function
// (`cardinality: 'many'`) must be told apart from a single-message one in nothing. A real
// worker process gets SIGTERM as its handler starts; the handler returns 1.5 s later, and its
// completes are held in a proxy until the process has exited.

const GRACE_MS = 3000;
const HANDLER_MS = 1500;

interface Case {
  kind: string;
  entity: 'queue' | 'batchQueue';
  /** The user line the handler writes when it starts. */
  started: (line: Record<string, unknown>) => boolean;
  /** The messages to send, all in one batch, so that a batch function gets them together. */
  messages: Array<{ body: unknown; messageId: string; applicationProperties?: object }>;
}

const CASES: Case[] = [
  {
    kind: 'a single-message function',
    entity: 'queue',
    started: (l) => l.msg === 'probe started one-at-grace-end',
    messages: [
      {
        body: 'x',
        messageId: 'one-at-grace-end',
        applicationProperties: { behaviour: `sleep:${HANDLER_MS}` },
      },
    ],
  },
  {
    kind: 'a batch function',
    entity: 'batchQueue',
    started: (l) => l.function === 'probeBatch' && l.msg === 'probe batch started 3',
    messages: [
      { body: { sleepMs: HANDLER_MS }, messageId: 'batch-at-grace-end-1' },
      { body: {}, messageId: 'batch-at-grace-end-2' },
      { body: {}, messageId: 'batch-at-grace-end-3' },
    ],
  },
];

let running: ProxiedWorker | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('completes on their way when the grace period ends', () => {
  for (const { kind, entity, started, messages } of CASES) {
    it(`are left to ${kind}, and counted as settlements not yet confirmed`, async () => {
      running = await startProxiedWorker(`grace-end-${entity}`, 30_000, {
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
        AzureFunctionsJobHost__functionTimeout: '00:00:10',
      });
      const { names, proxy, client, worker } = running;

      const sender = client.createSender(names[entity]);
      await sender.sendMessages(messages);
      await sender.close();
      await worker.waitForLine('the invocation start', started);
      proxy.stallAtClientDisposition();
      worker.child.kill('SIGTERM');

      const over = await worker.waitForLine(
        'the end of the grace period',
        (l) => String(l.msg).startsWith('Grace period over'),
        GRACE_MS + 5000,
      );
      assert.deepEqual(await worker.exited, { code: 0, signal: null });
      assert.equal(
        over.msg,
        'Grace period over: nothing to abandon; the invocations in flight are settling their ' +
          'messages',
      );
      assert.deepEqual(
        [over.inFlight, over.abandoned, over.settlementsUnconfirmed],
        [messages.length, 0, messages.length],
      );
    });
  }
});
