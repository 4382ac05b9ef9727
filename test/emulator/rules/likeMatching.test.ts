import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileSqlFilter, type RuleMessage } from '../../../src/emulator/rules';

function withValue(v: string): RuleMessage {
  return { system: {}, properties: { v } };
}

function likeMatches(pattern: string, value: string): boolean {
  return compileSqlFilter(`v LIKE '${pattern}'`)(withValue(value));
}

describe('LIKE matching', () => {
  it('answers a pattern of many % against a near miss in bounded time', () => {
    // Trial AN: a regular expression took seconds here, and froze the emulator at 12 `%a`.
    const cases: [string, number][] = [
      ['%a'.repeat(12) + '%b', 200],
      ['%a%a%a%b', 400],
      ['%a%a%a%b', 20_000],
    ];
    for (const [pattern, length] of cases) {
      const startedMs = performance.now();
      assert.equal(likeMatches(pattern, 'a'.repeat(length)), false);
      assert.equal(likeMatches(pattern, `${'a'.repeat(length)}b`), true);
      const elapsedMs = performance.now() - startedMs;
      assert.ok(elapsedMs < 250, `${pattern} on ${length} characters took ${elapsedMs} ms`);
    }
  });

  it('matches %, _ and literals anywhere in the pattern', () => {
    const cases: [string, string, boolean][] = [
      ['%', '', true],
      ['_', '', false],
      ['a%', 'a', true],
      ['%a', 'ba', true],
      ['%a', 'ab', false],
      ['a%b%c', 'aXbYc', true],
      ['a%b%c', 'aXcYb', false],
      ['%ab%ab%', 'xabyab', true],
      ['%aab', 'aaab', true],
      ['a_c', 'abc', true],
      ['a_c', 'ac', false],
      ['%_%_', 'x', false],
      ['%%a%%', 'bab', true],
      ['%a_', 'aab', true],
      ['x%y', 'x\ny', true], // % spans line breaks
      ['[a-c]%', '[a-c]x', true], // brackets are literal in Service Bus LIKE
      ['a.c', 'abc', false],
    ];
    for (const [pattern, value, expected] of cases) {
      assert.equal(likeMatches(pattern, value), expected, `'${value}' LIKE '${pattern}'`);
    }
  });

  it('counts UTF-16 units, as .NET strings do: _ takes half of a surrogate pair', () => {
    assert.equal(likeMatches('_', '😀'), false);
    assert.equal(likeMatches('__', '😀'), true);
    assert.equal(likeMatches('%😀%', 'a😀b'), true);
    assert.equal(likeMatches('_b', 'éb'), true);
  });

  it('treats a character after ESCAPE as a literal, % and _ included', () => {
    const escaped = compileSqlFilter("v LIKE '!%!_%' ESCAPE '!'");
    assert.equal(escaped(withValue('%_x')), true);
    assert.equal(escaped(withValue('a_x')), false);
    const pattern = compileSqlFilter("v LIKE p('pattern') ESCAPE '!'");
    const endsInEscape = { system: {}, properties: { v: 'a!', pattern: 'a!' } };
    assert.equal(pattern(endsInEscape), false); // an unpaired escape matches nothing
  });
});
