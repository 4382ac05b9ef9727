import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { cliEmulatorFor } from './cliEmulator';
import { drain, sendAndDeadLetterAs } from './deadLetters';
import { emptyFolder } from './runCli';

const letters = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => ({
    body: `${prefix}-${index}`,
    messageId: `${prefix}-${index}`,
  }));

describe('operator commands say things as the operator wrote them, once', () => {
  const fx = cliEmulatorFor({
    queues: ['ow-orders', 'ow-selective', 'ow-headers'],
    topics: [{ name: 'ow-events', subscriptions: ['audit'] }],
  });

  it('names a missing subscription as it was written, not as the SDK spells it', async () => {
    const peeked = await fx.cli(['peek', 'ow-events/subscriptions/nosuch']);
    const dlq = await fx.cli(['peek', 'OW-EVENTS/SUBSCRIPTIONS/nosuch', '--dlq']);

    assert.equal(peeked.exitCode, 1);
    assert.match(peeked.stderr, /The messaging entity 'ow-events\/subscriptions\/nosuch' could/);
    assert.match(
      dlq.stderr,
      /The messaging entity 'OW-EVENTS\/SUBSCRIPTIONS\/nosuch\/\$DeadLetterQueue' could/,
    );
  });

  it('points stats given a dead-letter queue at its entity', async () => {
    const queue = await fx.cli(['stats', 'ow-orders/$DeadLetterQueue']);
    const subscription = await fx.cli(['stats', 'ow-events/subscriptions/audit/$deadletterqueue']);

    assert.equal(queue.exitCode, 2);
    assert.match(queue.stderr, /is a dead-letter queue: .*sbworker stats ow-orders\n/);
    assert.doesNotMatch(queue.stderr, /peek --dlq/);
    assert.match(subscription.stderr, /sbworker stats ow-events\/subscriptions\/audit\n/);
  });

  it('prints a selective replay’s progress only when letters were replayed', async () => {
    await sendAndDeadLetterAs(fx.client, 'ow-selective', letters('skip', 30), 'Skip');
    await sendAndDeadLetterAs(fx.client, 'ow-selective', letters('pick', 2), 'Pick');

    const replayed = await fx.cli([
      ...['dlq', 'replay', 'ow-selective', '--reason', 'Pick', '--batch-size', '5'],
    ]);

    assert.equal(replayed.exitCode, 0, replayed.stderr);
    const progress = replayed.stderr.split('\n').filter((line) => line.startsWith('replayed '));
    assert.ok(progress.length >= 1, replayed.stderr);
    assert.deepEqual(
      progress.filter((line) => line.startsWith('replayed 0/')),
      [],
      'a line for a batch of skipped letters',
    );
    assert.equal(progress.at(-1), 'replayed 2/2 messages');
    assert.equal((await drain(fx.client, 'ow-selective')).length, 2);
  });

  it('names every line over a header limit, each with its limit', async () => {
    const wide = (id: string) =>
      JSON.stringify({ messageId: id, body: id, applicationProperties: { p: 'x'.repeat(34_000) } });
    const file = join(emptyFolder(), 'wide.jsonl');
    writeFileSync(file, [wide('w-1'), '{"body":"fine"}', wide('w-3')].join('\n'));

    const refused = await fx.cli(['send', 'ow-headers', '--file', file]);

    assert.equal(refused.exitCode, 1);
    const property = "its application property 'p' takes \\d+ bytes, over the limit of 32768";
    assert.match(
      refused.stderr,
      new RegExp(
        `MessageSizeExceeded: ${file} line 1: ${property} bytes for one property;` +
          ` ${file} line 3: ${property} bytes for one property; none of the 3 message\\(s\\)`,
      ),
    );
    assert.equal((await drain(fx.client, 'ow-headers')).length, 0);
  });
});
