import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeMessage, parseMessage } from '../../src/emulator/amqp/messageCodec';
import { Broker } from '../../src/emulator/broker/broker';
import { memoryJournal } from '../../src/emulator/store/types';
import { collectingLogger } from '../support/collectingLogger';
import { testNamespace } from '../support/emulator';
import { encodeMessage } from '../support/rawAmqp';

/**
 * A topic send is one operation: it lands in every matching subscription or in none (trial
 * AN: a rule that threw mid fan-out failed the send after earlier subscriptions had a copy,
 * so every retry duplicated the message there). A rule the emulator accepts throws only on an
 * integer division by zero; here a failing rule is put in place directly, as a rule from an
 * older release could be.
 * With DeadLetteringOnFilterEvaluationExceptions on, that subscription gets a dead letter.
 */
describe('broker: a topic fan-out is all or nothing', () => {
  function sendTwiceWithBadRule(deadLettering: boolean) {
    const logger = collectingLogger();
    const bad = { name: 'm-bad', deadLetteringOnFilterEvaluationExceptions: deadLettering };
    const topics = [{ name: 'fan', subscriptions: ['a-first', bad, 'z-last'] }];
    const broker = new Broker(testNamespace({ topics }), memoryJournal, logger);
    const throwing = (): boolean => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    broker.registry.subscription('fan', 'm-bad')!.compiledRules = [
      { name: 'deep', matches: throwing, apply: null },
      { name: 'fine', matches: () => true, apply: null },
    ];

    const raw = encodeMessage({ message_id: 'm-1', body: 'one' });
    const target = broker.registry.sendTarget('fan')!;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      assert.doesNotThrow(() => broker.send(target, [parseMessage(decodeMessage(raw), raw)]));
    }
    broker.close();
    const counts = (name: string) => broker.registry.subscription('fan', name)!.store.counts();
    const deadLetters = broker.registry.subscription('fan', 'm-bad')!.deadLetter.counts().active;
    const warned = logger.warnings.filter((line) => line.fields?.rule === 'deep');
    return { counts, deadLetters, warned };
  }

  // Off: the bad subscription gets its copies by its other rule. On (Azure's default): the
  // copies of the bad subscription go to its dead-letter queue. Either way every other
  // subscription gets each send once, and the failing rule is logged with its subscription.
  const cases: Array<[string, boolean, number[], number, RegExp]> = [
    ['places every other copy and logs the rule when it is off', false, [2, 2, 2], 0, /matching/],
    ["dead-letters the bad subscription's copy, by default", true, [2, 0, 2], 2, /dead-lettered/],
  ];
  for (const [title, deadLettering, active, deadLettered, outcome] of cases) {
    it(`one subscription rule throws: ${title}`, () => {
      const { counts, deadLetters, warned } = sendTwiceWithBadRule(deadLettering);

      assert.deepEqual(
        ['a-first', 'm-bad', 'z-last'].map((name) => counts(name).active),
        active,
      );
      assert.equal(deadLetters, deadLettered);
      assert.equal(warned.length, 2);
      assert.equal(warned[0]?.fields?.entity, 'fan/Subscriptions/m-bad');
      assert.match(String(warned[0]?.fields?.reason), /Maximum call stack size exceeded/);
      assert.match(String(warned[0]?.message), outcome);
    });
  }
});
