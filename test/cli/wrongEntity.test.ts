import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator } from '../support/emulator';
import { runCli } from './runCli';

describe('sbworker given a topic where messages are read', () => {
  let emulator: RunningEmulator;
  let cli: (args: string[]) => ReturnType<typeof runCli>;

  before(async () => {
    emulator = await startTestEmulator({
      queues: ['we-queue'],
      topics: [{ name: 'we-events', subscriptions: ['we-all'] }],
    });
    cli = (args) =>
      runCli(args, { env: { SERVICEBUS_CONNECTION_STRING: emulator.connectionString } });
  });

  after(async () => {
    await emulator.close();
  });

  it('says that peek reads a topic through its subscriptions (usage error)', async () => {
    const result = await cli(['peek', 'we-events']);

    assert.equal(result.exitCode, 2);
    assert.match(
      result.stderr,
      /^error: 'we-events' is a topic, which holds no messages itself: read one of its/,
    );
    assert.match(result.stderr, / we-events\/subscriptions\/<name>\n/);
    assert.match(result.stderr, /Usage: sbworker peek/);
  });

  it('says the same for the dead letters of a topic', async () => {
    const result = await cli(['dlq', 'list', 'we-events']);

    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /^error: 'we-events' is a topic/);
  });

  it('reads the subscription the hint names', async () => {
    const result = await cli(['peek', 'we-events/subscriptions/we-all']);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, 'no messages in we-events/subscriptions/we-all\n');
  });

  it('says where an emulator gets its entities for a name that is neither', async () => {
    const result = await cli(['peek', 'we-nosuch']);
    const send = await cli(['send', 'we-nosuch', '--body', 'x']);

    // The broker's words, then what the SDK cannot say: the emulator starts with no entities.
    const expected =
      "sbworker: MessagingEntityNotFound: The messaging entity 'we-nosuch' could not be found." +
      ' (An emulator has only the entities of its --config file and those created through its' +
      ' management API.)\n';
    assert.deepEqual([result.exitCode, result.stderr], [1, expected]);
    assert.deepEqual([send.exitCode, send.stderr], [1, expected]);
  });

  it('refuses replay --to a subscription path as a usage error, as send does', async () => {
    const replay = await cli([
      'dlq',
      'replay',
      'we-queue',
      '--all',
      '--to',
      'we-events/subscriptions/we-all',
    ]);
    const send = await cli(['send', 'we-events/subscriptions/we-all', '--body', 'x']);

    assert.equal(replay.exitCode, 2);
    assert.match(
      replay.stderr,
      /^error: --to takes a queue or topic, not a subscription: send to its topic, we-events /,
    );
    assert.equal(send.exitCode, 2);
    assert.match(send.stderr, /^error: send takes a queue or topic, not a subscription/);
  });

  it('says that a dead-letter queue cannot be sent to, and names the queue or topic', async () => {
    const cases: [string, string][] = [
      ['we-queue/$DeadLetterQueue', 'we-queue'],
      ['we-queue/$deadletterqueue', 'we-queue'],
      ['we-events/subscriptions/we-all/$DEADLETTERQUEUE', 'we-events'],
    ];

    for (const [path, entity] of cases) {
      const replay = await cli(['dlq', 'replay', 'we-queue', '--all', '--to', path]);
      const send = await cli(['send', path, '--body', 'x']);

      const reason =
        ` takes a queue or topic; "${path}" is a dead-letter queue, and dead-letter queues` +
        ` cannot be sent to: send to the queue or topic, ${entity}\n`;
      assert.equal(replay.exitCode, 2, path);
      assert.ok(replay.stderr.startsWith(`error: --to${reason}`), replay.stderr);
      const [firstLine] = replay.stderr.split('\n');
      assert.ok(!firstLine?.includes('subscriptions/<name>'), replay.stderr);
      assert.equal(send.exitCode, 2, path);
      assert.ok(send.stderr.startsWith(`error: send${reason}`), send.stderr);
    }
  });

  it('points peek at --dlq for a dead-letter queue path', async () => {
    const result = await cli(['peek', 'we-queue/$DeadLetterQueue']);

    assert.equal(result.exitCode, 2);
    assert.match(
      result.stderr,
      /^error: "we-queue\/\$DeadLetterQueue" is a dead-letter queue: give its entity, we-queue,/,
    );
  });
});
