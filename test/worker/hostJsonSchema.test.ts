import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import Ajv from 'ajv';

// Compiled tests run from dist/test/worker; the files live in the repository root.
const root = join(__dirname, '..', '..', '..');
const schema = JSON.parse(
  readFileSync(join(root, 'test', 'fixtures', 'host.json.schema.json'), 'utf8'),
) as object;
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

function check(hostJson: unknown): boolean {
  return validate(hostJson) === true;
}

describe('host.json', () => {
  it('validates against the official SchemaStore schema', () => {
    const hostJson: unknown = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8'));

    assert.equal(check(hostJson), true, JSON.stringify(validate.errors, null, 2));
  });

  it('has version 2.0, the [4.*, 5.0.0) bundle and explicit Service Bus values and timeout', () => {
    const hostJson = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as {
      version: string;
      extensionBundle: { id: string; version: string };
      functionTimeout?: string;
      extensions: { serviceBus: Record<string, unknown> };
    };

    assert.equal(hostJson.version, '2.0');
    assert.deepEqual(hostJson.extensionBundle, {
      id: 'Microsoft.Azure.Functions.ExtensionBundle',
      version: '[4.*, 5.0.0)',
    });
    assert.match(hostJson.functionTimeout ?? '', /^\d\d:\d\d:\d\d$/);
    for (const key of [
      'maxConcurrentCalls',
      'autoCompleteMessages',
      'maxAutoLockRenewalDuration',
      'prefetchCount',
    ]) {
      assert.ok(key in hostJson.extensions.serviceBus, `extensions.serviceBus.${key} is set`);
    }
  });

  it('is checked for real: the schema rejects what the host docs say it rejects', () => {
    const base = { version: '2.0' };

    assert.equal(check({ ...base, extensions: { serviceBus: { prefetchCount: 100 } } }), false);
    assert.equal(
      check({
        ...base,
        extensions: { serviceBus: { maxConcurrentCallsPerSession: 2, maxConcurrentCalls: 1 } },
      }),
      false,
    );
    assert.equal(check({ ...base, functionTimeout: '1.00:00:00' }), false);
    assert.equal(check({ version: '3.0' }), false);
  });

  for (const app of ['probe', 'sessions']) {
    it(`the ${app} fixture app's host.json validates too`, () => {
      const fixture: unknown = JSON.parse(
        readFileSync(join(root, 'test', 'fixtures', 'apps', app, 'host.json'), 'utf8'),
      );

      assert.equal(check(fixture), true, JSON.stringify(validate.errors, null, 2));
    });
  }
});
