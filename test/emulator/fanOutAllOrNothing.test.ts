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
 * so every retry duplicated the message there). No rule the emulator accepts throws any more,
 * so the failing rule is put in place directly, as a rule from an older release could be.
 */
describe('broker: a topic fan-out is all or nothing', () => {
  it('places every other copy and logs the rule when one subscription rule throws', () => {
    const logger = collectingLogger();
    const topics = [{ name: 'fan', subscriptions: ['a-first', 'm-bad', 'z-last'] }];
    const broker = new Broker(testNamespace({ topics }), memoryJournal, logger);
    const bad = broker.registry.subscription('fan', 'm-bad')!;
    const throwing = (): boolean => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    bad.compiledRules = [
      { name: 'deep', matches: throwing, apply: null },
      { name: 'fine', matches: () => true, apply: null },
    ];

    const raw = encodeMessage({ message_id: 'm-1', body: 'one' });
    const target = broker.registry.sendTarget('fan')!;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      assert.doesNotThrow(() => broker.send(target, [parseMessage(decodeMessage(raw), raw)]));
    }
    broker.close();

    // Each send lands once everywhere, the bad subscription by its other rule.
    const active = (name: string): number =>
      broker.registry.subscription('fan', name)!.store.counts().active;
    assert.deepEqual(['a-first', 'm-bad', 'z-last'].map(active), [2, 2, 2]);
    const warned = logger.warnings.filter((line) => line.fields?.rule === 'deep');
    assert.equal(warned.length, 2);
    assert.equal(warned[0]?.fields?.entity, 'fan/Subscriptions/m-bad');
    assert.match(String(warned[0]?.fields?.reason), /Maximum call stack size exceeded/);
  });
});
