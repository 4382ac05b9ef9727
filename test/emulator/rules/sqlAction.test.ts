import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileSqlAction, type MutableRuleMessage } from '../../../src/emulator/rules';
import { sampleMessage } from './fixtures';

function run(expression: string): MutableRuleMessage {
  const sample = sampleMessage();
  const message: MutableRuleMessage = {
    system: { ...sample.system },
    properties: { ...sample.properties },
  };
  compileSqlAction(expression)(message);
  return message;
}

describe('SQL actions', () => {
  it('SET creates a user property', () => {
    assert.equal(run("SET priority = 'high'").properties.priority, 'high');
  });

  it('SET overwrites an existing property whatever the case of its name', () => {
    const message = run("SET COLOR = 'blue'");
    assert.equal(message.properties.color, 'blue');
    assert.equal(Object.hasOwn(message.properties, 'COLOR'), false);
  });

  it('SET stores integer results as bigint (a long) and anything with a double as number', () => {
    const message = run('SET total = qty * price; SET half = qty / 2; SET d = 3.0');
    assert.equal(message.properties.total, 17.5);
    assert.equal(message.properties.half, 3n);
    assert.equal(message.properties.d, 3);
  });

  it('SET keeps 64-bit integers exact', () => {
    const message = run('SET m = 9223372036854775807; SET big = 9007199254740992 + 1');
    assert.equal(message.properties.m, 9223372036854775807n);
    assert.equal(message.properties.big, 9007199254740993n);
  });

  it('returns the names of the user properties it set or removed, as stored', () => {
    const sample = sampleMessage();
    const message = { system: { ...sample.system }, properties: { ...sample.properties } };
    const written = compileSqlAction("SET COLOR = 'b'; REMOVE region; REMOVE gone; SET n = 1")(
      message,
    );
    assert.deepEqual([...written].sort(), ['Region', 'color', 'n']);
  });

  // "Topic filters and actions": an update of ScheduledEnqueueTimeUtc is accepted and ignored.
  it('accepts SET or REMOVE sys.ScheduledEnqueueTimeUtc and changes nothing with it', () => {
    const sample = sampleMessage();
    const set = run("SET sys.ScheduledEnqueueTimeUtc = '2030-01-01T00:00:00Z'; SET a = 1");
    assert.deepEqual(set.system, sample.system);
    assert.equal(set.properties.a, 1n);
    assert.deepEqual(run('REMOVE sys.ScheduledEnqueueTimeUtc').system, sample.system);
  });

  it('runs statements in order, each seeing the ones before', () => {
    assert.equal(run('SET a = 1; SET b = a + 1').properties.b, 2n);
  });

  it('accepts statements without semicolons and with repeated ones', () => {
    const message = run('SET a = 1 SET b = 2;; REMOVE color;');
    assert.deepEqual([message.properties.a, message.properties.b], [1n, 2n]);
    assert.equal(Object.hasOwn(message.properties, 'color'), false);
  });

  it('REMOVE deletes a property named in any case and ignores a missing one', () => {
    const message = run('REMOVE Region; REMOVE missing');
    assert.equal(Object.hasOwn(message.properties, 'Region'), false);
    assert.equal(Object.hasOwn(message.properties, 'missing'), false);
  });

  it('SET from a missing property stores null', () => {
    const message = run('SET copy = missing');
    assert.equal(Object.hasOwn(message.properties, 'copy'), true);
    assert.equal(message.properties.copy, null);
  });

  it('SET keeps dates and booleans as they are', () => {
    const message = run('SET w = when; SET f = flag');
    assert.deepEqual(message.properties.w, new Date('2026-06-01T00:00:00Z'));
    assert.equal(message.properties.f, true);
  });

  it('SET and REMOVE change sender-controlled system properties', () => {
    const message = run("SET sys.Label = 'routed'; SET sys.To = 'Entity'; REMOVE sys.ContentType");
    assert.equal(message.system.subject, 'routed');
    assert.equal(message.system.to, 'Entity');
    assert.equal(message.system.contentType, undefined);
  });

  it('writes a non-string value into a system property as text', () => {
    assert.equal(run('SET sys.CorrelationId = qty').system.correlationId, '7');
  });

  it('SET on a property named like an Object.prototype member stores an own property', () => {
    const message = run("SET [__proto__] = 'p'; SET [toString] = 't'");
    assert.equal(Object.hasOwn(message.properties, '__proto__'), true);
    assert.equal(Object.getOwnPropertyDescriptor(message.properties, '__proto__')?.value, 'p');
    assert.equal(Object.getPrototypeOf(message.properties), Object.prototype);
    assert.equal(message.properties.toString, 't');
  });
});
