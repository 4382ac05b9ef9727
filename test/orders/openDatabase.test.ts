import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAppError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import {
  databaseSettingsFromEnv,
  embeddedDatabaseRefusal,
  openDatabase,
  sslFor,
  withPoolSize,
} from '../../src/orders/store/openDatabase';

const root = mkdtempSync(join(tmpdir(), 'sbworker-store-'));
// The store reads no host.json: the concurrency it is sized for comes from its host.
writeFileSync(
  join(root, 'host.json'),
  JSON.stringify({
    version: '2.0',
    extensions: { serviceBus: { maxConcurrentCalls: 5 } },
  }),
);

describe('store selection', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it('sizes the pool for the concurrency its host gives, and lets DATABASE_POOL_SIZE win', () => {
    assert.equal(databaseSettingsFromEnv({}, root).poolSize, undefined, 'host.json is not read');
    assert.equal(withPoolSize(databaseSettingsFromEnv({}, root), 3).poolSize, 3);
    const override = { AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: '7' };
    assert.equal(withPoolSize(databaseSettingsFromEnv(override, root), 3).poolSize, 3);
    const sized = { DATABASE_POOL_SIZE: '4' };
    assert.equal(withPoolSize(databaseSettingsFromEnv(sized, root), 3).poolSize, 4);
    assert.throws(
      () => databaseSettingsFromEnv({ DATABASE_POOL_SIZE: 'many' }, root),
      /DATABASE_POOL_SIZE must be a positive integer/,
    );
  });

  it('keeps PGlite in the git-ignored data/pglite folder by default', () => {
    assert.equal(databaseSettingsFromEnv({}, root).pgliteDir, join(root, 'data', 'pglite'));
  });

  for (const [name, env] of [
    ['on a Heroku dyno', { DYNO: 'worker.1' }],
    ['with NODE_ENV=production', { NODE_ENV: 'production' }],
    ['on Azure Functions', { WEBSITE_INSTANCE_ID: 'a1b2c3', FUNCTIONS_WORKER_RUNTIME: 'node' }],
  ] as const) {
    it(`refuses the embedded database ${name}, saying what to do`, async () => {
      const settings = withPoolSize(databaseSettingsFromEnv(env, root), 1);
      const error = await openDatabase(settings, silentLogger()).catch((e: unknown) => e);
      assert.ok(isAppError(error));
      assert.equal(error.code, 'InvalidConfiguration');
      assert.match(error.message, /DATABASE_URL is not set/);
      assert.match(
        error.message,
        /it is refused on a platform, and (DYNO|WEBSITE_INSTANCE_ID|NODE_ENV)/,
      );
    });
  }

  it('allows the embedded database under func start, which sets no WEBSITE_INSTANCE_ID', () => {
    const env = { FUNCTIONS_WORKER_RUNTIME: 'node', AZURE_FUNCTIONS_ENVIRONMENT: 'Development' };
    assert.equal(embeddedDatabaseRefusal(databaseSettingsFromEnv(env, root)), undefined);
  });

  it('chooses TLS as the managed services need it', () => {
    const url = 'postgres://u:p@db.example.com:5432/d';
    assert.deepEqual(sslFor({ databaseUrl: url, pgliteDir: '' }), { rejectUnauthorized: true });
    assert.deepEqual(sslFor({ databaseUrl: url, pgliteDir: '', dyno: 'worker.1' }), {
      rejectUnauthorized: false,
    });
    assert.equal(sslFor({ databaseUrl: 'postgres://127.0.0.1/d', pgliteDir: '' }), false);
    assert.equal(sslFor({ databaseUrl: url, databaseSsl: 'off', pgliteDir: '' }), false);
    assert.throws(
      () => sslFor({ databaseUrl: url, databaseSsl: 'maybe', pgliteDir: '' }),
      /DATABASE_SSL must be verify, no-verify or off/,
    );
  });

  it('keeps PGlite data in its folder across restarts and migrates only once', async () => {
    const settings = { pgliteDir: join(root, 'pglite'), poolSize: 1 };
    const first = await openDatabase(settings, silentLogger());
    await first.query(`INSERT INTO stock (sku, initial_quantity, available) VALUES ('X1', 5, 3)`);
    await first.close();

    const second = await openDatabase(settings, silentLogger());
    const rows = await second.query('SELECT sku, available FROM stock');
    const versions = await second.query('SELECT version FROM schema_migrations ORDER BY version');
    await second.close();
    assert.deepEqual(rows, [{ sku: 'X1', available: 3 }]);
    assert.deepEqual(versions, [{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
  });
});
