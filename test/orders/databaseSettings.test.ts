import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  databaseSettingsFromEnv,
  databaseTarget,
  isLoopbackUrl,
  sslFor,
} from '../../src/orders/store/databaseSettings';
import { isAppError } from '../../src/shared/errors';
import { runCli } from '../cli/runCli';

// The store's settings are checked when they are read, without connecting: each wrong value
// is an InvalidConfiguration error that names the setting and never shows DATABASE_URL.

const root = mkdtempSync(join(tmpdir(), 'sbworker-dbsettings-'));
writeFileSync(join(root, 'host.json'), JSON.stringify({ version: '2.0' }));
const PASSWORD = 'pw-that-must-not-leak';

function rejection(env: NodeJS.ProcessEnv): { code: string; message: string } {
  try {
    databaseSettingsFromEnv(env, root);
  } catch (error) {
    assert.ok(isAppError(error), `an AppError, got ${String(error)}`);
    return { code: error.code, message: error.message };
  }
  assert.fail(`settings were accepted: ${JSON.stringify(env)}`);
}

describe('database settings checked at start-up', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  const invalid: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    ['DATABASE_SSL=bogus', { DATABASE_SSL: 'bogus' }, /^DATABASE_SSL must be verify, no-verify/],
    ['DATABASE_SSL=true', { DATABASE_SSL: 'true' }, /^DATABASE_SSL must be/],
    ['DATABASE_POOL_SIZE=0', { DATABASE_POOL_SIZE: '0' }, /^DATABASE_POOL_SIZE must be/],
    ['DATABASE_POOL_SIZE=-3', { DATABASE_POOL_SIZE: '-3' }, /^DATABASE_POOL_SIZE must be/],
    ['DATABASE_POOL_SIZE=2.5', { DATABASE_POOL_SIZE: '2.5' }, /^DATABASE_POOL_SIZE must be/],
    ['DATABASE_POOL_SIZE=1e1', { DATABASE_POOL_SIZE: '1e1' }, /^DATABASE_POOL_SIZE must be/],
    ['DATABASE_POOL_SIZE=0x10', { DATABASE_POOL_SIZE: '0x10' }, /^DATABASE_POOL_SIZE must be/],
    ['DATABASE_POOL_SIZE=many', { DATABASE_POOL_SIZE: 'many' }, /^DATABASE_POOL_SIZE must be/],
    ['DATABASE_URL=garbage', { DATABASE_URL: 'garbage' }, /^DATABASE_URL is not a URL/],
    [
      'a DATABASE_URL without a scheme',
      { DATABASE_URL: 'db.example.com:5432/orders' },
      /^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    ],
    [
      'a mysql:// DATABASE_URL',
      { DATABASE_URL: `mysql://orders_owner:${PASSWORD}@db.example.com/orders` },
      /^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    ],
    [
      'the libpq key=value form',
      { DATABASE_URL: `host=db.example.com password=${PASSWORD} dbname=orders` },
      /^DATABASE_URL (is not a URL|must be a postgres)/,
    ],
    [
      'the placeholder of local.settings.example.json',
      { DATABASE_URL: '<postgres://user:password@host:5432/database>' },
      /^DATABASE_URL still holds a placeholder/,
    ],
    [
      'an sslmode pg does not know',
      { DATABASE_URL: `postgres://orders_owner:${PASSWORD}@db.example.com/d?sslmode=maybe` },
      /^DATABASE_URL has sslmode="maybe"; use one of disable, prefer, require/,
    ],
    // An unencoded "/", "?" or "#" in the password: the URL parses, with the user name as
    // its host and the start of the password as its port.
    ...['/', '?', '#'].map((mark): [string, NodeJS.ProcessEnv, RegExp] => [
      `a password with an unencoded "${mark}"`,
      { DATABASE_URL: `postgres://orders_owner:12345${mark}${PASSWORD}@db.example.com/orders` },
      /^DATABASE_URL has an "@" after its host: .*Percent-encode the password/,
    ]),
  ];
  for (const [name, env, message] of invalid) {
    it(`stops on ${name}, naming the setting`, () => {
      const error = rejection(env);
      assert.equal(error.code, 'InvalidConfiguration');
      assert.match(error.message, message);
      assert.ok(!error.message.includes(PASSWORD), 'the password stays out of the message');
      assert.ok(!error.message.includes('db.example.com'), 'DATABASE_URL is never echoed');
      assert.ok(!error.message.includes('orders_owner'), 'nor the user name');
      assert.ok(!error.message.includes('12345'), 'nor the start of the password');
    });
  }

  it('accepts what Heroku, Azure and a local server hand out', () => {
    const accepted = [
      'postgres://u:p@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d1',
      'postgresql://u%40corp:p%23w@server.postgres.database.azure.com/db?sslmode=require',
      'postgres://127.0.0.1/orders',
      'postgresql://[::1]:6543/orders?sslmode=disable',
    ];
    for (const url of accepted) {
      const settings = databaseSettingsFromEnv(
        { DATABASE_URL: url, DATABASE_SSL: 'no-verify', DATABASE_POOL_SIZE: ' 12 ' },
        root,
      );
      assert.equal(settings.databaseUrl, url);
      assert.equal(settings.poolSize, 12);
    }
  });

  it('treats empty values as unset', () => {
    const settings = databaseSettingsFromEnv(
      { DATABASE_URL: ' ', DATABASE_SSL: '', DATABASE_POOL_SIZE: '' },
      root,
    );
    assert.equal(settings.databaseUrl, undefined);
    assert.equal(settings.databaseSsl, undefined);
    assert.equal(settings.poolSize, undefined, 'sized later, for the concurrency of the host');
  });

  it('keeps the TLS choices for the managed services', () => {
    const url = 'postgres://u:p@db.example.com:5432/d';
    assert.deepEqual(sslFor({ databaseUrl: url, pgliteDir: '' }), { rejectUnauthorized: true });
    assert.deepEqual(sslFor({ databaseUrl: url, pgliteDir: '', databaseSsl: 'no-verify' }), {
      rejectUnauthorized: false,
    });
    assert.equal(sslFor({ databaseUrl: 'postgres://localhost/d', pgliteDir: '' }), false);
  });

  it('names the host and port a URL points to, as pg reads them, and nothing else', () => {
    assert.deepEqual(databaseTarget(`postgres://u:${PASSWORD}@db.example.com:6432/d`), {
      host: 'db.example.com',
      port: 6432,
    });
    assert.deepEqual(databaseTarget('postgresql://u@[::1]/d'), { host: '::1', port: 5432 });
    assert.deepEqual(databaseTarget('postgres:///d?host=/var/run/postgresql'), {
      host: '/var/run/postgresql',
      port: 5432,
    });
    assert.deepEqual(databaseTarget('postgres:///d'), { host: 'localhost', port: 5432 });
  });

  it("takes the host from a host query parameter, as pg does, before the URL's own", () => {
    const noEnv = {};
    assert.deepEqual(databaseTarget('postgres://u:p@localhost/d?host=db.example.com', noEnv), {
      host: 'db.example.com',
      port: 5432,
    });
    assert.deepEqual(databaseTarget('postgres://u@db.example.com:6432/d?host=127.0.0.1', noEnv), {
      host: '127.0.0.1',
      port: 6432,
    });
    // pg ignores an empty host= and decodes a percent-encoded socket folder.
    assert.equal(
      databaseTarget('postgres://u@db.example.com/d?host=', noEnv).host,
      'db.example.com',
    );
    assert.equal(databaseTarget('postgres://u@%2Ftmp%2Fpg/d', noEnv).host, '/tmp/pg');
    // No host anywhere in the URL: pg falls back to PGHOST and PGPORT.
    assert.deepEqual(
      databaseTarget('postgres:///d', { PGHOST: 'db.example.com', PGPORT: '6543' }),
      {
        host: 'db.example.com',
        port: 6543,
      },
    );
  });

  it('decides "this machine" by the host pg will connect to', () => {
    const cases: Array<[string, Record<string, string>, boolean]> = [
      ['postgres://u:p@localhost/db?host=db.example.com', {}, false],
      ['postgres://u:p@127.0.0.1:5432/db?host=db.example.com', {}, false],
      ['postgres://u:p@db.example.com/db?host=127.0.0.1', {}, true],
      ['postgres://u:p@db.example.com/db?host=localhost', {}, true],
      ['postgres://u:p@db.example.com/db?host=%3A%3A1', {}, true],
      ['postgres://u:p@db.example.com/db?host=/var/run/postgresql', {}, true],
      ['postgres://u@%2Fvar%2Frun%2Fpostgresql/db', {}, true],
      ['postgres://u:p@[::1]/db', {}, true],
      ['postgres:///db', {}, true],
      ['postgres:///db', { PGHOST: 'db.example.com' }, false],
      ['postgres:///db', { PGHOST: '/tmp' }, true],
      ['postgres://u:p@db.example.com/db', {}, false],
    ];
    for (const [url, env, loopback] of cases) {
      assert.equal(isLoopbackUrl(url, env), loopback, url);
    }
  });

  it('asks for TLS when a host query parameter points away from this machine', () => {
    const away = 'postgres://u:p@localhost/d?host=db.example.com';
    assert.deepEqual(sslFor({ databaseUrl: away, pgliteDir: '' }), { rejectUnauthorized: true });

    const here = 'postgres://u:p@db.example.com/d?host=127.0.0.1';
    assert.equal(sslFor({ databaseUrl: here, pgliteDir: '' }), false);
    const socket = 'postgres://u:p@db.example.com/d?host=/var/run/postgresql';
    assert.equal(sslFor({ databaseUrl: socket, pgliteDir: '' }), false);

    const viaPgHost = { databaseUrl: 'postgres:///d', pgliteDir: '', pgHost: 'db.example.com' };
    assert.deepEqual(sslFor(viaPgHost), { rejectUnauthorized: true });
  });

  it('refuses an unencoded "/" in the password before connecting (sbworker rejected)', async () => {
    const url = `postgres://orders_owner:12345/${PASSWORD}@127.0.0.1:5432/orders`;

    const result = await runCli(['rejected'], { env: { DATABASE_URL: url } });

    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /^sbworker: InvalidConfiguration: DATABASE_URL has an "@" after/);
    for (const hidden of ['orders_owner', '12345', PASSWORD]) {
      assert.ok(!result.stderr.includes(hidden), `${hidden} is not shown`);
    }
  });
});
