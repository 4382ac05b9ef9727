import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator } from '../support/emulator';
import { emptyFolder, runCli } from './runCli';

const LIMITS = 'use that entity, or a connection string without EntityPath (one of the namespace)';

describe('sbworker with a connection string limited by EntityPath', () => {
  let emulator: RunningEmulator;
  let limitedTo: (entityPath: string) => string;
  let key: string;

  before(async () => {
    emulator = await startTestEmulator({
      queues: ['ep-orders', 'ep-target'],
      topics: [{ name: 'ep-events', subscriptions: ['ep-all'] }],
    });
    key = /SharedAccessKey=([^;]*)/.exec(emulator.connectionString)?.[1] ?? '';
    limitedTo = (entityPath) =>
      `${emulator.connectionString.replace(/;?$/, ';')}EntityPath=${entityPath}`;
  });

  after(async () => {
    await emulator.close();
  });

  it('refuses send to another entity, naming the flag, EntityPath and entity', async () => {
    const result = await runCli([
      'send',
      'ep-orders',
      '--body',
      'x',
      '--connection-string',
      limitedTo('ep-other'),
    ]);

    assert.equal(result.exitCode, 2);
    assert.ok(
      result.stderr.startsWith(
        "error: send targets 'ep-orders', but the connection string given with" +
          ` --connection-string is limited to EntityPath=ep-other: ${LIMITS}\n`,
      ),
      result.stderr,
    );
    assert.ok(!result.stderr.includes('does not match the EntityPath'), 'no SDK text');
    assert.ok(!result.stderr.includes(key), 'the key is never printed');
  });

  it('compares the topic of a subscription path and names the setting and its file', async () => {
    const folder = emptyFolder();
    writeFileSync(join(folder, '.env'), `ServiceBusConnection=${limitedTo('ep-orders')}\n`);

    const peek = await runCli(['peek', 'ep-events/subscriptions/ep-all'], { cwd: folder });
    const list = await runCli(['dlq', 'list', 'ep-events/subscriptions/ep-all'], { cwd: folder });

    const message =
      "reads ep-events/subscriptions/ep-all of topic 'ep-events', but the connection string" +
      ` in ServiceBusConnection (.env) is limited to EntityPath=ep-orders: ${LIMITS}\n`;
    assert.equal(peek.exitCode, 2);
    assert.ok(peek.stderr.startsWith(`error: peek ${message}`), peek.stderr);
    assert.equal(list.exitCode, 2);
    assert.ok(list.stderr.startsWith(`error: dlq list ${message}`), list.stderr);
    assert.ok(!`${peek.stderr}${list.stderr}`.includes(key), 'the key is never printed');
  });

  it('checks the source and the --to of a replay', async () => {
    const limited = limitedTo('ep-orders');

    const source = await runCli([
      'dlq',
      'replay',
      'ep-target',
      '--all',
      '--connection-string',
      limited,
    ]);
    const to = await runCli([
      'dlq',
      'replay',
      'ep-orders',
      '--all',
      '--to',
      'ep-target',
      '--connection-string',
      limited,
    ]);

    assert.equal(source.exitCode, 2);
    assert.match(source.stderr, /^error: dlq replay reads 'ep-target', but the connection /);
    assert.equal(to.exitCode, 2);
    assert.match(to.stderr, /^error: --to names 'ep-target', but the connection string given /);
  });

  it('works with the entity the EntityPath names', async () => {
    const limited = ['--connection-string', limitedTo('ep-orders')];

    const send = await runCli([
      'send',
      'ep-orders',
      '--body',
      'kept',
      '--message-id',
      'ep-1',
      ...limited,
    ]);
    const peek = await runCli(['peek', 'ep-orders', '--json', ...limited]);

    assert.equal(send.exitCode, 0, send.stderr);
    assert.equal(peek.exitCode, 0, peek.stderr);
    const peeked = peek.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { messageId?: string; body?: unknown });
    assert.deepEqual(
      peeked.map(({ messageId, body }) => ({ messageId, body })),
      [{ messageId: 'ep-1', body: 'kept' }],
    );
  });
});
