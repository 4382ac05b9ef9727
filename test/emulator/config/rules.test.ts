import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig } from '../../../src/emulator/config/load';
import { assertRefused, subscriptionWithRule } from './helpers';

describe('parseConfig rules', () => {
  it('maps a correlation filter, Label becoming subject', () => {
    const json = subscriptionWithRule({
      Name: 'by-label',
      Properties: {
        FilterType: 'Correlation',
        CorrelationFilter: {
          Label: 'order',
          CorrelationId: 'c1',
          Properties: { region: 'eu', n: 3 },
        },
      },
    });
    const rule = parseConfig(json, 'Config.json').topics[0]!.subscriptions[0]!.rules[0]!;

    assert.deepEqual(rule, {
      name: 'by-label',
      filter: {
        kind: 'correlation',
        subject: 'order',
        correlationId: 'c1',
        properties: { region: 'eu', n: 3 },
      },
      action: null,
    });
  });

  it('maps a SQL filter and a SQL action', () => {
    const json = subscriptionWithRule({
      Name: 'big',
      Properties: {
        FilterType: 'Sql',
        SqlFilter: { SqlExpression: 'total > 100' },
        Action: { SqlExpression: "SET priority = 'high'" },
      },
    });
    const rule = parseConfig(json, 'Config.json').topics[0]!.subscriptions[0]!.rules[0]!;

    assert.deepEqual(rule, {
      name: 'big',
      filter: { kind: 'sql', expression: 'total > 100' },
      action: { kind: 'sql', expression: "SET priority = 'high'" },
    });
  });

  it('refuses a SQL filter that does not parse, with the position', () => {
    const json = subscriptionWithRule({
      Name: 'broken',
      Properties: { FilterType: 'Sql', SqlFilter: { SqlExpression: 'total > > 100' } },
    });
    const where = 'topic "events" subscription "audit" rule "broken": SqlFilter';
    assertRefused(json, where, 'at position 9');
  });

  it('refuses a SQL action that does not parse, with the position', () => {
    const json = subscriptionWithRule({
      Name: 'broken',
      Properties: {
        FilterType: 'Sql',
        SqlFilter: { SqlExpression: '1=1' },
        Action: { SqlExpression: 'SET = 1' },
      },
    });
    assertRefused(json, 'rule "broken": Action', 'at position 5');
  });

  it('refuses a rule whose FilterType names a filter it does not give', () => {
    assertRefused(
      subscriptionWithRule({ Name: 'r', Properties: { FilterType: 'Sql' } }),
      'rule "r": FilterType is "Sql" but SqlFilter is missing',
    );
    assertRefused(
      subscriptionWithRule({ Name: 'r', Properties: { FilterType: 'Correlation' } }),
      'rule "r": FilterType is "Correlation" but CorrelationFilter is missing',
    );
  });

  it('refuses an empty correlation filter and an unknown filter type', () => {
    assertRefused(
      subscriptionWithRule({
        Name: 'r',
        Properties: { FilterType: 'Correlation', CorrelationFilter: {} },
      }),
      'rule "r": CorrelationFilter needs at least one of',
    );
    // Trial CN: Properties with no property compares nothing, so it is no less empty.
    assertRefused(
      subscriptionWithRule({
        Name: 'r',
        Properties: { FilterType: 'Correlation', CorrelationFilter: { Properties: {} } },
      }),
      'rule "r": CorrelationFilter needs at least one of',
    );
    assertRefused(
      subscriptionWithRule({ Name: 'r', Properties: { FilterType: 'Regex' } }),
      'rule "r": FilterType must be one of "Correlation", "Sql"',
    );
  });

  it('refuses a SQL expression over 1024 characters', () => {
    const long = `a = '${'x'.repeat(1100)}'`;
    const json = subscriptionWithRule({
      Name: 'r',
      Properties: { FilterType: 'Sql', SqlFilter: { SqlExpression: long } },
    });
    assertRefused(json, 'rule "r": SqlFilter.SqlExpression allows at most 1024 characters');
  });
});
