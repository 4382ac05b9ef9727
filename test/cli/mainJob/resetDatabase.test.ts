import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { resetRefusal } from '../../../src/cli/mainJob/resetDatabase';

describe('resetRefusal', () => {
  const local = 'postgres://u@127.0.0.1:5432/db';
  const remote = 'postgres://u@db.example.com/db';
  const cases: Array<[string, 'pglite' | 'postgres', Record<string, string>, RegExp?]> = [
    ['allows the embedded database', 'pglite', {}],
    ['allows PostgreSQL on this machine', 'postgres', { DATABASE_URL: local }],
    [
      'refuses PostgreSQL on another machine',
      'postgres',
      { DATABASE_URL: remote },
      /another machine/,
    ],
    [
      'refuses a local URL whose host parameter names another machine',
      'postgres',
      { DATABASE_URL: 'postgres://u:p@localhost/db?host=db.example.com' },
      /another machine/,
    ],
    [
      'refuses a URL without a host when PGHOST names another machine',
      'postgres',
      { DATABASE_URL: 'postgres:///db', PGHOST: 'db.example.com' },
      /another machine/,
    ],
    [
      'allows a remote-looking URL whose host parameter is this machine',
      'postgres',
      { DATABASE_URL: 'postgres://u:p@db.example.com/db?host=127.0.0.1' },
    ],
    [
      'allows a Unix socket folder on this machine',
      'postgres',
      { DATABASE_URL: 'postgres://u@db.example.com/db?host=/var/run/postgresql' },
    ],
    ['refuses on a Heroku dyno', 'pglite', { DYNO: 'worker.1' }, /DYNO/],
    ['refuses on Azure', 'pglite', { WEBSITE_INSTANCE_ID: 'a1' }, /WEBSITE_INSTANCE_ID/],
    [
      'refuses with NODE_ENV=production',
      'postgres',
      { NODE_ENV: 'production', DATABASE_URL: local },
      /production/,
    ],
  ];

  for (const [name, kind, settings, expected] of cases) {
    it(name, () => {
      const refusal = resetRefusal({ kind }, settings);

      if (expected === undefined) assert.equal(refusal, undefined);
      else assert.match(refusal ?? '', expected);
    });
  }
});
