import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ensureError } from '../../src/shared/errors';
import { describeNonError, loggableKeys } from '../../src/shared/loggableKeys';

// Values and key names that come from a message body must not reach a log line; identifiers
// (the contract's own field names, an app's) still may.

describe('what a log line may say about a value from outside', () => {
  it('names keys that read as identifiers and counts the others', () => {
    assert.deepEqual(loggableKeys(['orderId', 'alice@example.com', 'x'.repeat(41), 'a_1']), {
      named: ['"orderId"', '"a_1"'],
      unnamed: 2,
    });
  });

  it('describes a thrown value by its type, never its value', () => {
    const secret = 'secret-3f1c';
    const cases: Array<[unknown, string]> = [
      [secret, 'a string of 11 characters'],
      [[secret, secret], 'an array of 2 items'],
      [{ note: 1, [`${secret}@example.com`]: 2 }, 'an object with keys "note" and 1 other key'],
      [{ token: secret }, 'an object with keys "token"'],
      [{ [secret]: 1 }, 'an object with 1 key'],
      [new Map([[secret, secret]]), 'a Map object'],
      [42, 'a number'],
      [null, 'null'],
    ];
    for (const [value, description] of cases) {
      assert.equal(describeNonError(value), description);
    }
    const error = ensureError({ body: secret });
    assert.equal(error.message, 'non-error thrown: an object with keys "body"');
  });
});
