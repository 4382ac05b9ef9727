import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileSqlAction, compileSqlFilter, SqlSyntaxError } from '../../../src/emulator/rules';

/** [expression, 0-based position of the problem, fragment of the message]. */
type Case = [string, number, string];

function assertSyntaxError(compile: () => unknown, position: number, fragment: string): void {
  assert.throws(compile, (error: unknown) => {
    assert.ok(error instanceof SqlSyntaxError, 'throws SqlSyntaxError');
    assert.equal(error.code, 'SqlSyntaxError');
    assert.equal(error.retryable, false);
    assert.equal(error.position, position);
    assert.ok(error.message.includes(fragment), `"${error.message}" mentions "${fragment}"`);
    assert.ok(error.message.includes(`at position ${position + 1}`), 'message gives the position');
    return true;
  });
}

describe('SQL filter syntax errors carry the position', () => {
  const cases: Case[] = [
    ["color = = 'red'", 8, "Expected a value but found '='"],
    ["color = 'red", 8, 'Unterminated string literal'],
    ["color = 'red' AND", 17, 'found end of expression'],
    ['(qty = 7', 8, "Expected ')'"],
    ['qty = 7)', 7, 'Expected the end of the expression'],
    ['sys.Nope = 1', 4, "Unknown system property 'sys.Nope'"],
    ['color # 1', 6, "Unexpected character '#'"],
    ['qty IN 7', 7, "Expected '('"],
    ["color LIKE 'a' ESCAPE 'ab'", 22, 'ESCAPE must be a single character'],
    ["color LIKE 'a!' ESCAPE '!'", 11, 'ends with its escape character'],
    ['color = @p', 8, 'Parameter @p is not supported'],
    ['foo(1) = 1', 0, "Unknown function 'foo'"],
    ['', 0, 'found end of expression'],
    ["color IS 'x'", 9, 'Expected NULL'],
    ['color NOT = 1', 10, 'IN or LIKE after NOT'],
    ['99999999999999999999 = 1', 0, 'out of the 64-bit range'],
    ['[color = 1', 0, 'Unterminated delimited identifier'],
    ['EXISTS(1)', 7, 'Expected a property name'],
  ];

  for (const [expression, position, fragment] of cases) {
    it(`refuses ${JSON.stringify(expression)} at ${position}`, () => {
      assertSyntaxError(() => compileSqlFilter(expression), position, fragment);
    });
  }
});

describe('SQL action syntax errors carry the position', () => {
  const cases: Case[] = [
    ['SET sys.SequenceNumber = 1', 4, "'sys.SequenceNumber' cannot be changed"],
    ['SET', 3, 'Expected a property name but found end of expression'],
    ['DELETE x', 0, 'Expected SET or REMOVE'],
    ['SET x 1', 6, "Expected '='"],
    ['', 0, 'Empty action'],
    ['SET x = 1 +', 11, 'Expected a value'],
    ['REMOVE sys.EnqueuedTimeUtc', 7, 'cannot be changed'],
  ];

  for (const [expression, position, fragment] of cases) {
    it(`refuses ${JSON.stringify(expression)} at ${position}`, () => {
      assertSyntaxError(() => compileSqlAction(expression), position, fragment);
    });
  }
});
