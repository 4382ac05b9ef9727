import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileSqlFilter } from '../../../src/emulator/rules';
import { sampleMessage } from './fixtures';

/** [expression, whether it matches sampleMessage()]: expected values from the SQL filter docs. */
type Case = [string, boolean];

function table(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const [expression, expected] of cases) {
      it(`${expected ? 'matches' : 'does not match'}: ${expression}`, () => {
        assert.equal(compileSqlFilter(expression)(sampleMessage()), expected);
      });
    }
  });
}

describe('integer division by zero', () => {
  // C# raises DivideByZeroException; Service Bus calls that a filter evaluation exception.
  for (const expression of ['qty / 0 = 0', 'qty % 0 = 0', 'qty = 7 AND 1 / (qty - 7) = 1']) {
    it(`fails the evaluation: ${expression}`, () => {
      const filter = compileSqlFilter(expression);
      assert.throws(() => filter(sampleMessage()), {
        code: 'SqlEvaluationFailed',
        message: 'Attempted to divide by zero.',
      });
    });
  }

  it('is not reached past a FALSE that AND short-circuits', () => {
    assert.equal(compileSqlFilter('qty = 8 AND qty / 0 = 1')(sampleMessage()), false);
  });
});

table('comparison', [
  ["color = 'red'", true],
  ["color = 'Red'", false], // string comparison is case-sensitive
  ["color <> 'blue'", true],
  ["color != 'blue'", true],
  ['qty > 5', true],
  ['qty >= 7', true],
  ['qty < 7', false],
  ['qty <= 7', true],
  ['flag = TRUE', true],
  ['flag <> FALSE', true],
  ['TRUE', true],
  ['FALSE', false],
  ["color < 'z'", false], // strings have equality only, as in C#
  ["qty = '7'", false], // no implicit conversion between string and number
  ['sys.EnqueuedTimeUtc < when', true],
  ['when = when', true],
]);

// A double keeps arithmetic in doubles even when whole; longs and ulongs compare exactly.
table('whole doubles and 64-bit integers', [
  ['whole = 2', true],
  ['whole / 4 = 0.5', true],
  ['big = 9007199254740993', true],
  ['big = 9007199254740992', false],
  ['big = 9007199254740992.0', true], // C# compares a long with a double as doubles
  ['big - 1 = 9007199254740992', true],
  ['huge > 9223372036854775807', true],
  ['huge = 18446744073709551615.0', true],
]);

table('numeric coercion between integer and floating point', [
  ['qty = 7.0', true],
  ['price > 2', true],
  ['price = 2.5', true],
  ['qty / 2 = 3', true], // integer division, as C# long
  ['qty / 2.0 = 3.5', true],
  ['qty % 4 = 3', true],
  ['qty * price = 17.5', true],
  ['qty - 10 = -3', true],
  ['-qty = -7', true],
  ['+qty = 7', true],
  ['price / 0 > 1000000', true], // floating point division by zero is infinity
  ['1.5E1 = 15', true],
  ['0.5E-2 = 0.005', true],
  ['.5 = 0.5', true],
  ['sys.SequenceNumber / 3 = 13', true],
  ['9223372036854775807 > 0', true],
  ['-9223372036854775808 < 0', true],
  ["'a' + 'b' = 'ab'", true],
]);

table('precedence and associativity', [
  ['1 + 2 * 3 = 7', true],
  ['(1 + 2) * 3 = 9', true],
  ['10 - 2 - 3 = 5', true],
  ['2 * 3 % 4 = 2', true],
  ['- 2 * 3 = -6', true],
  ['12 / 2 / 3 = 2', true],
  ["qty = 7 OR qty = 8 AND color = 'blue'", true],
  ["(qty = 7 OR qty = 8) AND color = 'blue'", false],
  ["NOT qty = 8 AND color = 'red'", true],
  ['NOT NOT qty = 7', true],
  ["color = 'red' and QTY in (7) Or FALSE", true], // keywords and names are case-insensitive
]);

table('property names', [
  ["COLOR = 'red'", true],
  ["region = 'EU'", true],
  ["user.color = 'red'", true],
  ["[color] = 'red'", true],
  ['"color" = \'red\'', true],
  ['größe = 3', true],
  ["sys.label = 'bus.red'", true],
  ["sys.Subject = 'bus.red'", true],
  ["SYS.TO = 'Store5'", true],
  ["sys.[MessageId] = 'm-1'", true],
  ["quote = 'it''s'", true],
  ["p('color') = 'red'", true],
  ["property('sys.Label') = 'bus.red'", true],
  ["property('sys.MessageId') IS NOT NULL", true],
  ['newid() = newid()', false],
]);

table('NULL and missing properties (three-valued logic)', [
  ['missing = 1', false],
  ['missing <> 1', false],
  ['NOT (missing = 1)', false], // NOT unknown is unknown
  ['missing IS NULL', true],
  ['missing IS NOT NULL', false],
  ['nothing IS NULL', true],
  ['color IS NOT NULL', true],
  ['EXISTS(nothing)', true], // present with a null value
  ['EXISTS(missing)', false],
  ['EXISTS(sys.CorrelationId)', false],
  ['EXISTS(sys.MessageId)', true],
  ['missing = 1 OR qty = 7', true], // unknown OR true
  ['missing = 1 AND qty = 7', false], // unknown AND true is unknown
  ['NOT (missing = 1 AND qty = 8)', true], // unknown AND false is false
  ['NOT (missing = 1 OR qty = 8)', false], // unknown OR false is unknown
  ['nothing = NULL', false],
  ['missing IN (1, 2)', false],
  ['missing NOT IN (1, 2)', false],
  ['qty IN (7, NULL)', true],
  ['qty IN (1, NULL)', false],
  ['qty NOT IN (1, NULL)', false], // no match but an unknown item: unknown
  ['qty NOT IN (1, 2)', true],
  ["sys.CorrelationId = 'x'", false],
  ['missing + 1 = 1', false],
  ['-missing = 0 OR -missing <> 0', false],
  ["missing LIKE '%'", false],
  ["missing NOT LIKE '%'", false],
]);

table('IN', [
  ["color IN ('blue', 'red')", true],
  ["color NOT IN ('blue', 'red')", false],
  ['qty IN (7.0)', true],
  ["sys.To IN ('Store5', 'Store6') OR Region = 'US'", true],
]);

table('LIKE and ESCAPE', [
  ["color LIKE 'r%'", true],
  ["color LIKE 'R%'", false],
  ["color LIKE 'r_d'", true],
  ["color LIKE 'r_'", false],
  ["color LIKE '%'", true],
  ["color NOT LIKE 'b%'", true],
  ["color LIKE 'r.d'", false], // regular-expression characters are literal
  ["sys.Label LIKE '%.red'", true],
  ["pct LIKE '5%'", true],
  ["pct LIKE '50\\%' ESCAPE '\\'", true],
  ["pct LIKE '5!%' ESCAPE '!'", false],
  ["path LIKE 'a!_b' ESCAPE '!'", true],
  ["color LIKE 'r!_d' ESCAPE '!'", false],
  ["pct LIKE '50!%!!' ESCAPE '!'", false],
  ["quote LIKE 'it''s'", true],
  ["qty LIKE '7'", false], // LIKE needs a string
]);
