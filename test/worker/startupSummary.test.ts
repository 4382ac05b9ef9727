import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { REPO_ROOT } from './support';
import { tempApp } from './tempApp';

// `sbworker worker --check` as a user runs it: a real process on a throwaway app. The check
// stops before connecting, so the connection string only has to be well formed.

const ENTRY = [
  `const { app } = require('@azure/functions');`,
  `const handler = async () => {};`,
  `const on = (queueName, extra = {}) =>`,
  `  ({ connection: 'CheckConnection', queueName, handler, ...extra });`,
  `app.serviceBusQueue('bytes', on('check-bytes', { dataType: 'binary' }));`,
  `app.serviceBusQueue('texts', on('check-texts', { dataType: 'string', cardinality: 'many' }));`,
  `app.serviceBusQueue('plain', on('check-plain'));`,
].join('\n');

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** `worker --check` on an app, with a well-formed connection and these settings. */
function runCheck(appDir: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, 'worker', '--app', appDir, '--check'], {
    env: {
      PATH: process.env.PATH,
      CheckConnection:
        'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=check;SharedAccessKey=unused;' +
        'UseDevelopmentEmulator=true',
      ...env,
    },
    encoding: 'utf8',
  });
}

describe('worker --check', () => {
  it("shows each function's dataType, null when it sets none", () => {
    const appDir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'host.json': JSON.stringify({ version: '2.0' }),
      'index.js': ENTRY,
    });

    const result = runCheck(appDir);

    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      functions: Array<{ name: string; dataType: unknown }>;
    };
    assert.deepEqual(
      report.functions.map(({ name, dataType }) => ({ name, dataType })),
      [
        { name: 'bytes', dataType: 'binary' },
        { name: 'texts', dataType: 'string' },
        { name: 'plain', dataType: null },
      ],
    );
  });

  // Trial AE: both were silent; the worker ran on defaults or without the setting.
  it('warns of overrides it ignores and of host.json keys it does not apply', () => {
    const appDir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'host.json': JSON.stringify({
        version: '2.0',
        extensions: { serviceBus: { maxConcurrentCalls: 4, transportType: 'amqpWebSockets' } },
      }),
      'index.js': ENTRY,
    });

    const result = runCheck(appDir, {
      AzureFunctionsJobHost__extensions__serviceBus: '{"maxConcurrentCalls":2}',
    });

    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      warnings: string[];
      ignoredOverrides: string[];
      unappliedKeys: string[];
      serviceBus: { maxConcurrentCalls: number };
    };
    assert.equal(report.serviceBus.maxConcurrentCalls, 4);
    assert.deepEqual(report.ignoredOverrides, ['AzureFunctionsJobHost__extensions__serviceBus']);
    assert.deepEqual(report.unappliedKeys, ['extensions.serviceBus.transportType']);
    assert.ok(
      report.warnings.some((w) => w.startsWith('AzureFunctionsJobHost__ settings ignored')),
    );
    assert.ok(report.warnings.some((w) => w.startsWith('host.json extensions.serviceBus keys')));
  });

  // A README trial: start-up on a dyno warned of the grace period, --check listed nothing.
  it("lists a grace period that outlasts Heroku's 30 s on a dyno, as start-up warns", () => {
    const appDir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'host.json': JSON.stringify({ version: '2.0' }),
      'index.js': ENTRY,
    });
    const tooLong = 'SHUTDOWN_GRACE_MS is too long for a Heroku dyno';
    const warningsWith = (env: Record<string, string>): string[] => {
      const result = runCheck(appDir, env);
      assert.equal(result.status, 0, result.stderr);
      return (JSON.parse(result.stdout) as { warnings: string[] }).warnings;
    };

    const onDyno = warningsWith({ DYNO: 'worker.1', SHUTDOWN_GRACE_MS: '40000' });
    const offDyno = warningsWith({ SHUTDOWN_GRACE_MS: '40000' });
    const defaultGrace = warningsWith({ DYNO: 'worker.1' });

    assert.ok(
      onDyno.some((w) => w.startsWith(tooLong)),
      JSON.stringify(onDyno),
    );
    assert.ok(!offDyno.some((w) => w.startsWith(tooLong)), JSON.stringify(offDyno));
    assert.ok(!defaultGrace.some((w) => w.startsWith(tooLong)), JSON.stringify(defaultGrace));
  });
});
