import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createAdministrationClient } from '../../src/shared/adminClient';
import { durableEmulatorFolders, runEmulator, startedOn } from '../support/cliEmulator';
import { testClient } from '../support/emulator';

// A delete is answered only once it is durable: a `kill -9` the moment the answer arrives
// must not let the deleted entity's messages come back, neither at the next start nor into
// an entity created later under its name (Service Bus drops them with the entity). The kill
// comes from the test as soon as the admin call resolves, the earliest a client could act on
// it; a few rounds, as the window before the journal's write is short.

const ROUNDS = 4;
const MESSAGES = 200;

type Run = ReturnType<typeof runEmulator>;

async function connect(args: string[]) {
  const run = runEmulator(args);
  const { connectionString, httpPort } = await startedOn(run);
  const admin = createAdministrationClient(connectionString, { emulatorHttpPort: httpPort });
  return { run, connectionString, admin };
}

async function stop(run: Run, signal: NodeJS.Signals): Promise<void> {
  run.child.kill(signal);
  await run.exited;
}

type Connected = Awaited<ReturnType<typeof connect>>;

/** Starts an emulator on `args` for `use`, then stops it with `signal` whatever happened. */
async function withRun<T>(
  args: string[],
  signal: NodeJS.Signals,
  use: (emulator: Connected) => Promise<T>,
): Promise<T> {
  const emulator = await connect(args);
  try {
    return await use(emulator);
  } finally {
    await stop(emulator.run, signal);
  }
}

async function sendMany(connectionString: string, topicOrQueue: string): Promise<void> {
  const client = testClient(connectionString);
  const bodies = Array.from({ length: MESSAGES }, (_, index) => ({ body: index }));
  await client.createSender(topicOrQueue).sendMessages(bodies);
  await client.close();
}

/**
 * Sends 200 KB messages, 16 at a time, until stopped or refused; `flowing` resolves once the
 * first is answered, when the links are up and every answer waits for a journal write.
 */
function keepJournalBusy(connectionString: string, queue: string) {
  const client = testClient(connectionString);
  const sender = client.createSender(queue);
  const body = Buffer.alloc(200 * 1024, 1);
  let sending = true;
  let answered: () => void = () => undefined;
  const flowing = new Promise<void>((resolve) => (answered = resolve));
  const loops = Array.from({ length: 16 }, async () => {
    while (sending) {
      // The kill fails the sends on the way; the test looks only at the other queue.
      await sender.sendMessages({ body }).then(answered, () => (sending = false));
    }
  });
  return {
    flowing,
    async stop() {
      sending = false;
      await Promise.all(loops);
      await client.close();
    },
  };
}

async function peekCount(connectionString: string, queue: string, sub?: string) {
  const client = testClient(connectionString);
  const receiver = sub ? client.createReceiver(queue, sub) : client.createReceiver(queue);
  const count = (await receiver.peekMessages(MESSAGES)).length;
  await client.close();
  return count;
}

describe('emulator: an entity deleted just before a kill -9', () => {
  const durableFolder = durableEmulatorFolders('sbworker-delete-kill-');

  /** Fill, delete, kill; start and create it again; start again and count what it holds. */
  async function deleteKillCreateAgain(entity: {
    fillAndDelete(emulator: Connected): Promise<void>;
    createAgain(emulator: Connected): Promise<void>;
    count(emulator: Connected): Promise<number>;
  }): Promise<void> {
    for (let round = 1; round <= ROUNDS; round++) {
      const args = await durableFolder('configured');
      await withRun(args, 'SIGKILL', entity.fillAndDelete);
      await withRun(args, 'SIGTERM', entity.createAgain);
      const count = await withRun(args, 'SIGTERM', entity.count);
      assert.equal(count, 0, `round ${round}: the entity created again holds old messages`);
    }
  }

  it('never gives its messages to a queue created again under its name', async () => {
    await deleteKillCreateAgain({
      async fillAndDelete({ admin, connectionString }) {
        await admin.createQueue('doomed');
        await sendMany(connectionString, 'doomed');
        await admin.deleteQueue('doomed');
      },
      createAgain: async ({ admin }) => void (await admin.createQueue('doomed')),
      count: ({ connectionString }) => peekCount(connectionString, 'doomed'),
    });
  });

  it('never gives its messages to a subscription created again under its name', async () => {
    await deleteKillCreateAgain({
      async fillAndDelete({ admin, connectionString }) {
        await admin.createTopic('feed');
        await admin.createSubscription('feed', 'doomed');
        await sendMany(connectionString, 'feed');
        await admin.deleteSubscription('feed', 'doomed');
      },
      createAgain: async ({ admin }) => void (await admin.createSubscription('feed', 'doomed')),
      count: ({ connectionString }) => peekCount(connectionString, 'feed', 'doomed'),
    });
  });

  // Created again in the same run: the entity log then holds the delete and the create, so a
  // start cannot tell the old messages from new ones unless the journal forgot them first.
  it('never gives them to a queue created again before the kill', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const args = await durableFolder('configured');
      await withRun(args, 'SIGKILL', async ({ admin, connectionString, run }) => {
        await admin.createQueue('doomed');
        await sendMany(connectionString, 'doomed');
        // Large sends to another queue keep the journal writing, as on a busy emulator, so
        // the delete's own journal record waits behind several megabytes.
        const busy = keepJournalBusy(connectionString, 'configured');
        try {
          await busy.flowing;
          await admin.deleteQueue('doomed');
          await admin.createQueue('doomed');
        } finally {
          await stop(run, 'SIGKILL');
          await busy.stop();
        }
      });

      const count = await withRun(args, 'SIGTERM', ({ connectionString }) =>
        peekCount(connectionString, 'doomed'),
      );
      assert.equal(count, 0, `round ${round}: the queue created again holds old messages`);
    }
  });
});
