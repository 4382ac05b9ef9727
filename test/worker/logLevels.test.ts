import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  type CategoryLevel,
  hostLogLevel,
  levelForCategory,
  resolveLogLevels,
} from '../../src/worker/logLevels';

// The category rules of .NET's logger filter, which the Functions host applies to
// host.json `logging.logLevel`: the longest key that prefixes the category (in any case) wins;
// one `*` matches anything in between.

describe('levelForCategory', () => {
  const rules: CategoryLevel[] = [
    { category: 'Function', level: 'info' },
    { category: 'Function.orders.User', level: 'debug' },
    { category: 'function.ORDERS', level: 'error' },
  ];

  it('picks the longest matching key, in any case', () => {
    assert.equal(levelForCategory(rules, 'Function.orders.User'), 'debug');
    assert.equal(levelForCategory(rules, 'Function.Orders'), 'error');
    assert.equal(levelForCategory(rules, 'Function.billing.User'), 'info');
    assert.equal(levelForCategory(rules, 'Host.Results'), undefined);
  });

  it('matches a plain prefix, as .NET does, without a dot after it', () => {
    // function.ORDERS is a prefix of Function.ordersArchive too.
    assert.equal(levelForCategory(rules, 'Function.ordersArchive'), 'error');
  });

  it('matches one wildcard: what is before and after it', () => {
    const wild: CategoryLevel[] = [
      { category: 'Function', level: 'warn' },
      { category: 'Function.*.User', level: 'debug' },
    ];
    assert.equal(levelForCategory(wild, 'Function.orders.User'), 'debug');
    assert.equal(levelForCategory(wild, 'Function.orders'), 'warn');
  });
});

describe('hostLogLevel', () => {
  it('takes the .NET names in any case, Trace as debug, and refuses ours', () => {
    assert.equal(hostLogLevel('Trace'), 'debug');
    assert.equal(hostLogLevel('INFORMATION'), 'info');
    assert.equal(hostLogLevel('critical'), 'error');
    assert.equal(hostLogLevel('None'), 'silent');
    assert.equal(hostLogLevel('info'), undefined);
    assert.equal(hostLogLevel('warn'), undefined);
  });
});

describe('resolveLogLevels', () => {
  const hostCategories: CategoryLevel[] = [
    { category: 'Function.a', level: 'warn' },
    { category: 'Host.Aggregator', level: 'debug' },
    { category: 'Function.gone', level: 'debug' },
  ];

  it('sets only what a category matches and lists the keys that match no line', () => {
    const levels = resolveLogLevels({
      logLevelSetting: '',
      hostDefault: 'error',
      hostCategories,
      functionNames: ['a', 'b'],
    });

    assert.equal(levels.source, 'host.json');
    assert.equal(levels.default, 'error');
    // Function.a covers Function.a.User too.
    assert.deepEqual(levels.functions, { a: { invocations: 'warn', user: 'warn' }, b: {} });
    assert.deepEqual(levels.notApplied, ['Host.Aggregator', 'Function.gone']);
    assert.deepEqual(levels.overridden, []);
  });

  it('lets LOG_LEVEL set every line, naming the host.json keys it overrides', () => {
    const levels = resolveLogLevels({
      logLevelSetting: 'Information',
      hostDefault: 'error',
      hostCategories,
      functionNames: ['a'],
    });

    assert.equal(levels.source, 'LOG_LEVEL');
    assert.equal(levels.default, 'info');
    assert.deepEqual(levels.functions, {});
    assert.deepEqual(levels.overridden, ['Function.a', 'Host.Aggregator', 'Function.gone']);
  });

  it("takes the host's Information when nothing is set", () => {
    const levels = resolveLogLevels({
      logLevelSetting: undefined,
      hostDefault: undefined,
      hostCategories: [],
      functionNames: ['a'],
    });

    assert.equal(levels.source, 'default');
    assert.equal(levels.default, 'info');
  });
});
