import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileSqlAction, compileSqlFilter, SqlSyntaxError } from '../../../src/emulator/rules';
import { sampleMessage } from './fixtures';

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

/** One test a case: the expression is refused at its position, with its words. */
function refusesEach(cases: readonly Case[], compile: (expression: string) => unknown): void {
  for (const [expression, position, fragment] of cases) {
    it(`refuses ${JSON.stringify(expression)} at ${position}`, () => {
      assertSyntaxError(() => compile(expression), position, fragment);
    });
  }
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
    ['99999999999999999999 = 1', 0, 'out of the range of a long'],
    ['18446744073709551615 = 1', 0, 'out of the range of a long (-2^63 to 2^63 - 1)'],
    ['[color = 1', 0, 'Unterminated delimited identifier'],
    ['EXISTS(1)', 7, 'Expected a property name'],
  ];

  refusesEach(cases, compileSqlFilter);
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

  refusesEach(cases, compileSqlAction);
});

// Azure's grammar: a filter is a <predicate>, IS NULL takes a <property>, a LIKE pattern and
// escape are evaluated as strings. Positions point at the part that breaks the rule.
describe('SQL filters that are not conditions are refused', () => {
  const condition = 'Expected a condition';
  const cases: Case[] = [
    ['qty + 1', 4, `${condition} (a comparison, IN, LIKE, IS NULL or EXISTS)`],
    ["'abc'", 0, `${condition} (a comparison, IN, LIKE, IS NULL or EXISTS) but found a string`],
    ['1', 0, `${condition} (a comparison, IN, LIKE, IS NULL or EXISTS) but found a number`],
    ['color', 0, "but found the property 'color' on its own"],
    ['flag', 0, "but found the property 'flag' on its own"],
    ['NULL', 0, 'but found NULL'],
    ['a = 1 AND 5', 10, `${condition}`],
    ['NOT 5', 4, `${condition}`],
    ['newid()', 0, 'but found newid() on its own'],
    ['(a = 1) + 1 = 2', 3, 'Expected a value but found a comparison'],
    ['a IN (b = 1)', 8, "Expected ')' but found '='"], // the parser's own refusal
    ["a = (b LIKE 'x')", 7, 'Expected a value but found a LIKE test'],
    ['1 IS NULL', 0, 'IS NULL needs a property but found a number'],
    ['NULL IS NULL', 0, 'IS NULL needs a property but found NULL'],
    ['qty / 0 IS NULL', 4, 'IS NULL needs a property but found an arithmetic expression'],
    ['a LIKE 5', 7, 'LIKE pattern must be a string but found a number'],
    ['a LIKE NULL', 7, 'LIKE pattern must be a string but found NULL'],
    ["a LIKE 'x' ESCAPE 1", 18, 'ESCAPE must be a single character'],
    ["a LIKE 'x' ESCAPE -b", 18, 'ESCAPE must be a string but found an arithmetic expression'],
    ['a LIKE -b', 7, 'LIKE pattern must be a string but found an arithmetic expression'],
  ];

  refusesEach(cases, compileSqlFilter);

  it('still accepts what the grammar allows, and the TRUE and FALSE constants', () => {
    const accepted = [
      '1=1',
      '1 = 0',
      'TRUE',
      'NOT FALSE',
      'flag = TRUE AND TRUE',
      "color LIKE p('pct') + '%'",
      "color LIKE 'r%' ESCAPE p('path')",
      "p('color') IS NOT NULL",
      'EXISTS(color) OR qty IS NULL',
      '(qty + 1) * 2 = 16',
      "((color = 'red'))",
    ];
    for (const expression of accepted) {
      assert.doesNotThrow(() => compileSqlFilter(expression)(sampleMessage()), expression);
    }
  });
});

describe('SQL actions take values, with or without semicolons', () => {
  it('refuses SET with a condition as its value', () => {
    assertSyntaxError(() => compileSqlAction('SET a = (b = 1)'), 11, 'Expected a value');
  });

  it("accepts statements without a separator (Azure: 'Semicolon is optional')", () => {
    assert.doesNotThrow(() => compileSqlAction('SET a = 1 SET b = 2 REMOVE c'));
  });
});

describe('SQL expressions are bounded in length and nesting', () => {
  const nesting = 'The expression nests too deeply (more than 256 levels)';

  it('accepts 1,024 characters and refuses 1,025 (the Service Bus quota)', () => {
    const atLimit = `color = '${'x'.repeat(1024 - 10)}'`;
    assert.equal(atLimit.length, 1024);
    assert.doesNotThrow(() => compileSqlFilter(atLimit));
    assert.doesNotThrow(() => compileSqlAction(`SET a = '${'x'.repeat(1024 - 10)}'`));

    const tooLong = `${atLimit} `;
    // A quota of the whole text: no position to point at, so none in the message.
    const detail = 'The expression is 1025 characters long; Service Bus allows at most 1024';
    for (const compile of [
      () => compileSqlFilter(tooLong),
      () => compileSqlAction(`SET a = '${'x'.repeat(1024 - 9)}'`),
    ]) {
      assert.throws(compile, (error: unknown) => {
        assert.ok(error instanceof SqlSyntaxError);
        assert.equal(error.message, detail);
        return true;
      });
    }
  });

  it('quotes only the part of a long expression around the problem', () => {
    const long = `${'qty = 1 OR '.repeat(40)}qty = = 1`;
    assert.throws(
      () => compileSqlFilter(long),
      (error: unknown) =>
        error instanceof SqlSyntaxError &&
        error.message.endsWith(`at position 447 of "…${long.slice(446 - 60)}"`),
    );
  });

  it('refuses nesting past 256 levels in the parser: parentheses, NOT, signs', () => {
    const parentheses = `${'('.repeat(300)}a = 1${')'.repeat(300)}`;
    assertSyntaxError(() => compileSqlFilter(parentheses), 256, nesting);
    assertSyntaxError(() => compileSqlFilter(`a = ${'-'.repeat(300)}b`), 260, nesting);
    assertSyntaxError(() => compileSqlAction(`SET a = ${'+'.repeat(300)}b`), 264, nesting);
  });

  // A flat chain is a loop in the parser, not nesting; the quota bounds it to ~512 levels of
  // tree, far below the ~8,000 the evaluator's stack takes (trial AS: 300 terms were refused).
  it('accepts and evaluates the longest operator chains 1,024 characters allow', () => {
    const sum = `${'1+'.repeat(508)}1 = 509`;
    assert.equal(sum.length, 1023);
    assert.equal(compileSqlFilter(sum)(sampleMessage()), true);
    assert.equal(compileSqlFilter(sum.replace('509', '508'))(sampleMessage()), false);

    const ors = `${'qty=1 OR '.repeat(112)}qty=7`;
    assert.ok(ors.length > 1000 && ors.length <= 1024);
    assert.equal(compileSqlFilter(ors)(sampleMessage()), true);
    assert.equal(compileSqlFilter(ors.replace(/7$/, '8'))(sampleMessage()), false);

    const message = sampleMessage();
    compileSqlAction(`SET total = ${'1+'.repeat(504)}1`)(message);
    assert.equal(Number(message.properties.total), 505);
  });

  it('still bounds nesting inside a chain: 300 signs after a few terms', () => {
    const signed = `a = 1+1+1+${'-'.repeat(300)}1`;
    assertSyntaxError(() => compileSqlFilter(signed), 10 + 256, nesting);
  });

  it('evaluates what it accepts: 255 nested NOTs and 255 parentheses', () => {
    const nots = compileSqlFilter(`${'NOT '.repeat(254)}qty = 7`);
    assert.equal(nots(sampleMessage()), true);
    const parens = compileSqlFilter(`${'('.repeat(255)}qty = 7${')'.repeat(255)}`);
    assert.equal(parens(sampleMessage()), true);
  });
});
