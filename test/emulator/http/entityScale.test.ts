import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EntityRegistry } from '../../../src/emulator/entities/registry';
import { MessageStore } from '../../../src/emulator/store/messageStore';
import { managedEmulatorForSuite } from './brokerSupport';

const QUEUES = 2_000;
const PAGE_SIZE = 10;

/**
 * Counts calls of the named methods until `restore`. The work a request does is counted, not
 * timed: on a shared machine a timing would measure the neighbours as much as the code.
 */
function countCalls<T extends object>(prototype: T, names: (keyof T & string)[]) {
  const counter = { count: 0, restore: () => undefined as void };
  const originals = names.map((name) => [name, prototype[name]] as const);
  for (const [name, original] of originals) {
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      counter.count++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    Object.assign(prototype, { [name]: wrapped });
  }
  counter.restore = () => {
    for (const [name, original] of originals) Object.assign(prototype, { [name]: original });
  };
  return counter;
}

describe(`management API requests in a namespace of ${QUEUES} queues`, () => {
  const names = Array.from({ length: QUEUES }, (_, i) => `scale-${i}`);
  const suite = managedEmulatorForSuite({ queues: names });

  it('creates a queue without looking at every entity', async () => {
    const lookups = countCalls(EntityRegistry.prototype, ['sendTarget', 'receiveSource']);
    try {
      await suite.admin.createQueue('scale-new');
    } finally {
      lookups.restore();
    }

    assert.ok(lookups.count < 50, `${lookups.count} entity lookups for one create`);
  });

  it('reads the counts of the queues on the page asked for only', async () => {
    const reads = countCalls(MessageStore.prototype, ['counts']);
    let page: { length: number } | undefined;
    try {
      const pages = suite.admin.listQueues().byPage({ maxPageSize: PAGE_SIZE });
      page = (await pages.next()).value;
    } finally {
      reads.restore();
    }

    assert.equal(page?.length, PAGE_SIZE);
    // A queue's counts come from its store and its dead-letter queue.
    assert.ok(reads.count <= 2 * PAGE_SIZE, `${reads.count} store counts read for one page`);
  });
});
