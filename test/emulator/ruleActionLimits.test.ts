import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { emulatorForSuite, receiveUntilEmpty } from '../support/emulator';

/** A rule whose action triples the property `p` into `q`. */
const GROWING_RULE = {
  name: 'grow',
  filter: { kind: 'true' as const },
  action: { kind: 'sql' as const, expression: 'SET q = p + p + p' },
};

// Trial CN: a rule action built a copy over the limits a send is held to (a 60,000-character
// property, ~265 KB), which was stored and delivered anyway.
describe('emulator: a rule action that builds a copy over the limits', () => {
  const suite = emulatorForSuite({
    topics: [
      {
        name: 'grow-t',
        subscriptions: [
          'plain',
          { name: 'grows', rules: [GROWING_RULE] },
          {
            name: 'grows-off',
            deadLetteringOnFilterEvaluationExceptions: false,
            rules: [GROWING_RULE],
          },
        ],
      },
    ],
  });

  const drain = (sub: string, deadLetter = false) =>
    receiveUntilEmpty(
      suite.client.createReceiver('grow-t', sub, {
        receiveMode: 'receiveAndDelete',
        ...(deadLetter ? { subQueueType: 'deadLetter' as const } : {}),
      }),
    );

  it('dead-letters it as RuleActionException, naming the limit; the send succeeds', async () => {
    const sender = suite.client.createSender('grow-t');
    // 20,000 characters tripled: the header (64 KB) and one property (32 KB) overflow.
    const header = {
      messageId: 'header',
      body: 'h',
      applicationProperties: { p: 'x'.repeat(20_000) },
    };
    // 254,000 bytes of body and 3,000 of properties: past 256 KB only once `q` is added.
    const size = {
      messageId: 'size',
      body: Buffer.alloc(254_000, 1),
      applicationProperties: { p: 'y'.repeat(3_000) },
    };
    await sender.sendMessages(header);
    await sender.sendMessages(size);
    await sender.close();

    const ids = (messages: { messageId?: unknown }[]) => messages.map((m) => m.messageId);
    assert.deepEqual(ids(await drain('plain')), ['header', 'size']);
    assert.deepEqual(ids(await drain('grows')), []);
    // Off, the failed rule counts as not matching, as for any other failure of a rule.
    assert.deepEqual(ids(await drain('grows-off')), []);

    const dead = await drain('grows', true);
    assert.deepEqual(
      dead.map((m) => [m.messageId, m.deadLetterReason]),
      [
        ['header', 'RuleActionException'],
        ['size', 'RuleActionException'],
      ],
    );
    assert.match(String(dead[0]?.deadLetterErrorDescription), /limit of 65536 bytes/);
    assert.match(String(dead[1]?.deadLetterErrorDescription), /max message size \(262144 bytes\)/);
    // The dead letter is the message as sent, without the copy's `q`.
    assert.equal(dead[0]?.applicationProperties?.q, undefined);
  });
});
