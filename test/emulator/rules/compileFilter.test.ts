import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { RuleFilter } from '../../../src/emulator/config/types';
import { compileFilter, compileRule, SqlSyntaxError } from '../../../src/emulator/rules';
import { sampleMessage } from './fixtures';

describe('compileFilter', () => {
  const cases: Array<[string, RuleFilter, boolean]> = [
    ['the true filter matches', { kind: 'true' }, true],
    ['the false filter does not match', { kind: 'false' }, false],
    ['a SQL filter is evaluated', { kind: 'sql', expression: 'qty > 5' }, true],
    [
      'a correlation filter matches equal fields and properties',
      {
        kind: 'correlation',
        subject: 'bus.red',
        to: 'Store5',
        properties: { color: 'red', qty: 7, flag: true },
      },
      true,
    ],
    [
      'a correlation filter checks every system field it gives',
      {
        kind: 'correlation',
        messageId: 'm-1',
        contentType: 'application/json',
        subject: 'bus.red',
        to: 'Store5',
        properties: {},
      },
      true,
    ],
    [
      'a correlation filter fails on one differing field',
      { kind: 'correlation', subject: 'bus.red', to: 'Store6', properties: {} },
      false,
    ],
    [
      'a correlation filter compares case-sensitively',
      { kind: 'correlation', properties: { color: 'Red' } },
      false,
    ],
    [
      'a correlation filter needs the property present',
      { kind: 'correlation', properties: { missing: 'x' } },
      false,
    ],
    [
      'a correlation filter does not convert between types',
      { kind: 'correlation', properties: { qty: '7' } },
      false,
    ],
    [
      'a correlation filter on a field the message lacks does not match',
      { kind: 'correlation', correlationId: 'c-1', properties: {} },
      false,
    ],
  ];

  for (const [title, filter, expected] of cases) {
    it(title, () => {
      assert.equal(compileFilter(filter)(sampleMessage()), expected);
    });
  }

  it('compares an AMQP long (bigint) with a number in correlation and SQL filters', () => {
    const message = { system: {}, properties: { big: 9007199254740993n, small: 7n } };
    assert.equal(compileFilter({ kind: 'correlation', properties: { small: 7 } })(message), true);
    const sql = (expression: string) => compileFilter({ kind: 'sql', expression })(message);
    assert.equal(sql('small = 7 AND small / 2 = 3'), true);
    assert.equal(sql('big = 9007199254740993'), true); // exact beyond 2^53
    assert.equal(sql('big = 9007199254740992'), false);
  });

  it('parses a SQL filter once, when compiled', () => {
    assert.throws(() => compileFilter({ kind: 'sql', expression: 'qty >' }), SqlSyntaxError);
  });
});

describe('compileRule', () => {
  it('routes and rewrites a message as the sample config rule says', () => {
    const rule = compileRule({
      name: 'sql-filter-1',
      filter: { kind: 'sql', expression: "sys.MessageId = '123456' AND userProp1 = 'value1'" },
      action: { kind: 'sql', expression: "SET sys.To = 'Entity'" },
    });
    const message = { system: { messageId: '123456' }, properties: { userProp1: 'value1' } };

    assert.equal(rule.name, 'sql-filter-1');
    assert.equal(rule.matches(message), true);
    rule.apply?.(message);
    assert.equal((message.system as { to?: string }).to, 'Entity');
    assert.equal(rule.matches({ system: { messageId: '123456' }, properties: {} }), false);
  });

  it('has no action when the rule has none', () => {
    const rule = compileRule({ name: 'all', filter: { kind: 'true' }, action: null });
    assert.equal(rule.apply, null);
  });
});
