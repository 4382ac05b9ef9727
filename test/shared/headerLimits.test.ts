import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { headerLimitProblem } from '../../src/shared/headerLimits';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rhea = require('rhea') as { message: { encode(message: object): Buffer } };

// Service Bus's header limits, every tier: 32 KB for one application property, 64 KB in all.
describe('header limits', () => {
  const bare = (properties: Record<string, unknown>) =>
    rhea.message.encode({ message_id: 'm', application_properties: properties, body: 'b' });

  it('finds a property over 32 KB, to the byte, and none under', () => {
    // A str8 key of one character takes 3 bytes, a str32 value 5 + its length.
    assert.equal(headerLimitProblem(bare({ p: 'x'.repeat(32_768 - 8) })), undefined);
    assert.match(
      headerLimitProblem(bare({ p: 'x'.repeat(32_768 - 7) })) ?? '',
      /^its application property 'p' takes 32769 bytes, over the limit of 32768 bytes/,
    );
  });

  it('finds properties over 64 KB together', () => {
    const thirty = 'x'.repeat(30 * 1024);
    assert.match(
      headerLimitProblem(bare({ a: thirty, b: thirty, c: thirty })) ?? '',
      /^its properties and application properties take \d+ bytes, over the limit of 65536/,
    );
  });

  it('cuts a name of thousands of characters in what it says', () => {
    const name = 'n'.repeat(33_000);
    const problem = headerLimitProblem(bare({ [name]: 'v' })) ?? '';
    assert.match(problem, /^its application property 'n{60}… \(33000 characters\)' takes /);
    assert.ok(problem.length < 200, problem.slice(0, 200));
  });
});
