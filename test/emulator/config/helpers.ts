import assert from 'node:assert/strict';
import { join } from 'node:path';

import { parseConfig } from '../../../src/emulator/config/load';
import { isAppError } from '../../../src/shared/errors';

export const FIXTURES = join(__dirname, '../../../../test/fixtures/emulator');
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A Config.json in the official shape holding one namespace with the given parts. */
export function file(
  namespace: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): unknown {
  return { UserConfig: { Namespaces: [{ Name: 'sbemulatorns', ...namespace }] }, ...extra };
}

export function queue(properties: Record<string, unknown>, name = 'orders'): unknown {
  return file({ Queues: [{ Name: name, Properties: properties }] });
}

export function subscriptionWithRule(rule: Record<string, unknown>): unknown {
  return file({
    Topics: [{ Name: 'events', Subscriptions: [{ Name: 'audit', Rules: [rule] }] }],
  });
}

/** Asserts a ConfigError whose message contains every given fragment. */
export function assertRefused(json: unknown, ...fragments: string[]): void {
  assert.throws(
    () => parseConfig(json, 'Config.json'),
    (error: unknown) => {
      assert.ok(isAppError(error), 'throws an AppError');
      assert.equal(error.code, 'InvalidConfiguration');
      for (const fragment of fragments) {
        assert.ok(error.message.includes(fragment), `"${error.message}" mentions "${fragment}"`);
      }
      return true;
    },
  );
}
