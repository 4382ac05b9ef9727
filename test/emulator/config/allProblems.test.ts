import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig } from '../../../src/emulator/config/load';
import { isAppError } from '../../../src/shared/errors';
import { file } from './helpers';

function problemsOf(json: unknown): string[] {
  try {
    parseConfig(json, 'Config.json');
  } catch (error) {
    assert.ok(isAppError(error), 'throws an AppError');
    assert.equal(error.code, 'InvalidConfiguration');
    return error.message.split('\n');
  }
  assert.fail('the config was accepted');
}

describe('parseConfig reports every problem in one load', () => {
  it('lists schema, duplicate-name, SQL and forwarding problems together, one per line', () => {
    const json = file({
      Queues: [
        {
          Name: 'orders',
          Properties: { LockDuration: 'PT1S', MaxDeliveryCount: 0, Colour: 'red' },
        },
        { Name: 'ORDERS', Properties: { DefaultMessageTimeToLive: 'soon' } },
      ],
      Topics: [
        {
          Name: 'events',
          Subscriptions: [
            {
              Name: 'audit',
              Properties: { ForwardTo: 'events' },
              Rules: [
                {
                  Name: 'big',
                  Properties: { FilterType: 'Sql', SqlFilter: { SqlExpression: 'total > > 1' } },
                },
              ],
            },
          ],
        },
      ],
    });

    const problems = problemsOf(json);

    const audit = 'Config.json: topic "events" subscription "audit"';
    assert.deepEqual(problems, [
      'Config.json: queue "orders": LockDuration "PT1S" is below the minimum of 5 seconds',
      'Config.json: queue "orders": MaxDeliveryCount 0 is below the minimum of 1',
      'Config.json: queue "orders": Properties has unknown property "Colour"',
      'Config.json: queue "ORDERS": DefaultMessageTimeToLive "soon" is not an ISO-8601 ' +
        'duration (for example PT1M or P1D)',
      'Config.json: queue "ORDERS": Name duplicates queue "orders" (names are case-insensitive)',
      `${audit} rule "big": SqlFilter.SqlExpression: Expected a value but found '>' at ` +
        'position 9 of "total > > 1"',
      `${audit}: ForwardTo "events" points back at its own topic`,
    ]);
  });

  it('still checks names and forwarding where the schema refused other parts', () => {
    const json = file({
      Queues: [
        { Name: 'in', Properties: { ForwardTo: 'nowhere', MaxDeliveryCount: 'ten' } },
        { Name: 'In' },
        { Name: 42 },
      ],
    });

    const problems = problemsOf(json);

    assert.deepEqual(problems, [
      'Config.json: queue "in": MaxDeliveryCount must be a number, not "ten"',
      'Config.json: queue #3: Name must be a string, not 42',
      'Config.json: queue "In": Name duplicates queue "in" (names are case-insensitive)',
      'Config.json: queue "in": ForwardTo "nowhere" names no queue or topic',
    ]);
  });
});
