import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { orderSettingsFromEnv } from '../../src/orders/orderRuntime';
import { APP_ROOT } from '../../src/orders/sampleData';
import { isAppError } from '../../src/shared/errors';

// What the function files check while the app loads: every order-job setting, nothing opened.

const dir = mkdtempSync(join(tmpdir(), 'sbworker-order-settings-'));

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    orderSettingsFromEnv(env, 16);
  } catch (error) {
    assert.ok(isAppError(error), `an AppError, got ${String(error)}`);
    assert.equal(error.code, 'InvalidConfiguration');
    assert.equal(error.retryable, false);
    return error.message;
  }
  assert.fail(`settings were accepted: ${JSON.stringify(env)}`);
}

describe('the order settings, checked at load', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a fresh clone: embedded database, the sample starting stock', () => {
    const settings = orderSettingsFromEnv({}, 16);
    assert.equal(settings.database.databaseUrl, undefined);
    assert.equal(settings.database.pgliteDir, join(APP_ROOT, 'data', 'pglite'));
    assert.equal(settings.database.poolSize, 16, 'the concurrency its host runs it at');
    // sample-data/starting-stock.json lists 84077 at 1000 and a default of 300.
    assert.equal(settings.startingStock.quantityFor('84077'), 1000);
    assert.equal(settings.startingStock.quantityFor('not-listed'), 300);
  });

  it('refuses the embedded database on a platform before any invocation', () => {
    assert.match(refusal({ DYNO: 'worker.1' }), /^DATABASE_URL is not set/);
    assert.match(refusal({ NODE_ENV: 'production' }), /refused on a platform, and NODE_ENV is/);
    assert.match(
      refusal({ WEBSITE_INSTANCE_ID: 'a1b2c3' }),
      /refused on a platform, and WEBSITE_INSTANCE_ID is set \(Azure Functions or App Service\)/,
    );
    assert.doesNotThrow(() =>
      orderSettingsFromEnv(
        { DYNO: 'worker.1', DATABASE_URL: 'postgres://u:p@db.example.com/d' },
        16,
      ),
    );
  });

  it('stops on a database setting that the store would refuse later', () => {
    assert.match(refusal({ DATABASE_SSL: 'bogus' }), /^DATABASE_SSL must be/);
    assert.match(refusal({ DATABASE_POOL_SIZE: '0' }), /^DATABASE_POOL_SIZE must be/);
    assert.match(refusal({ DATABASE_URL: 'garbage' }), /^DATABASE_URL is not a URL/);
  });

  it('names STARTING_STOCK_FILE when the file it names is missing or wrong', () => {
    const missing = join(dir, 'missing.json');
    assert.match(
      refusal({ STARTING_STOCK_FILE: missing }),
      new RegExp(`^STARTING_STOCK_FILE: cannot read the starting-stock file ${missing}`),
    );

    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, 'defaultQuantity = 5');
    assert.match(refusal({ STARTING_STOCK_FILE: notJson }), /^STARTING_STOCK_FILE: .* is not JSON/);

    const negative = join(dir, 'negative.json');
    writeFileSync(negative, JSON.stringify({ defaultQuantity: -1, quantities: {} }));
    assert.match(
      refusal({ STARTING_STOCK_FILE: negative }),
      /^STARTING_STOCK_FILE: .*negative.json is invalid/,
    );
  });
});
