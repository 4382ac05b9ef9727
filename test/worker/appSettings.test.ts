import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { applyAppSettings, getSetting, loadAppSettings } from '../../src/shared/appSettings';
import { loadHostSettings } from '../../src/worker/hostSettings';
import { tempApp } from './tempApp';

/** A throwaway app folder with these files, removed after the test file. */
const appDir = tempApp;

describe('loadAppSettings', () => {
  it('layers local.settings.json Values, then .env, and lets the environment win', () => {
    const dir = appDir({
      'local.settings.json': JSON.stringify({
        IsEncrypted: false,
        Values: { A: 'local', B: 'local', C: 'local', N: 5 },
      }),
      '.env': 'B=dotenv\nC=dotenv\n',
    });

    const settings = loadAppSettings({ appDir: dir, env: { C: 'env' } });

    assert.equal(settings.values.A, 'local');
    assert.equal(settings.values.B, 'dotenv');
    assert.equal(settings.values.C, 'env');
    assert.equal(settings.values.N, '5');
    assert.deepEqual(settings.sources, {
      A: 'local.settings.json',
      B: '.env',
      C: 'environment',
      N: 'local.settings.json',
    });
    assert.equal(settings.files.length, 2);
  });

  // The shape `func settings encrypt` leaves: base64 ciphertext in place of each value.
  const encryptedFile = (isEncrypted = 'IsEncrypted', values = 'Values', flag: unknown = true) =>
    JSON.stringify({
      [isEncrypted]: flag,
      [values]: {
        FUNCTIONS_WORKER_RUNTIME: 'CfDJ8Ab3xQ9Lm2Rt7YpWz0Kc5NvEs1HuJd4GiOa6Bf8TgUq',
        ServiceBusConnection: 'CfDJ8Kk5vFq0T2xUeLrM1pQz9wAbCdEfGhIjKlMnOpQrStUvWxYz',
      },
    });

  it('refuses an encrypted local.settings.json whose settings are set nowhere else', () => {
    // Trial AE: "true" as a string, which Json.NET reads as true, was taken for false.
    const shapes = [[], ['isEncrypted', 'values'], ['IsEncrypted', 'Values', 'True']] as const;
    for (const keys of shapes) {
      const dir = appDir({ 'local.settings.json': encryptedFile(...keys) });

      assert.throws(
        () => loadAppSettings({ appDir: dir, env: {} }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'InvalidConfiguration');
          assert.match(error.message, /local\.settings\.json is encrypted \("IsEncrypted": true\)/);
          // The host's own FUNCTIONS_WORKER_RUNTIME is not needed, so not named.
          assert.match(error.message, /and ServiceBusConnection is not set in \.env or the env/);
          assert.match(error.message, /func settings decrypt/);
          return true;
        },
      );
    }
  });

  it('leaves an encrypted file unread, with a warning, when .env sets what it holds', () => {
    const connection = 'Endpoint=sb://127.0.0.1:5999;SharedAccessKeyName=k;SharedAccessKey=v';
    const dir = appDir({
      'local.settings.json': encryptedFile(),
      '.env': `ServiceBusConnection=${connection}\n`,
    });

    const settings = loadAppSettings({ appDir: dir, env: {} });

    assert.equal(settings.values.ServiceBusConnection, connection);
    assert.equal(settings.sources.ServiceBusConnection, '.env');
    assert.equal(settings.warnings.length, 1);
    assert.match(settings.warnings[0] ?? '', /is encrypted .*: its values are not read/);
    assert.equal(settings.values.FUNCTIONS_WORKER_RUNTIME, undefined);
    // The file is named in the warning, not among the files the settings came from.
    assert.deepEqual(settings.files, [join(dir, '.env')]);
  });

  it('reads Values in any case, as Core Tools does', () => {
    const dir = appDir({ 'local.settings.json': JSON.stringify({ values: { A: 'lower' } }) });

    assert.equal(loadAppSettings({ appDir: dir, env: {} }).values.A, 'lower');
  });

  it('works with neither file present', () => {
    const settings = loadAppSettings({ appDir: appDir({}), env: { X: '1' } });

    assert.deepEqual(settings.values, { X: '1' });
    assert.deepEqual(settings.files, []);
  });

  it('stops with an error naming local.settings.json and the position when it is not JSON', () => {
    const dir = appDir({ 'local.settings.json': '{\n  "Values": {\n    "A": "1",\n  }\n}' });

    assert.throws(
      () => loadAppSettings({ appDir: dir, env: {} }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'InvalidConfiguration');
        assert.match(
          error.message,
          /local\.settings\.json is not valid JSON at line 4, column 3: a trailing comma/,
        );
        return true;
      },
    );
  });

  it('reads local.settings.json and host.json with a byte order mark and comments', () => {
    const bom = '\uFEFF';
    const dir = appDir({
      'local.settings.json': `${bom}{ // written by a Windows editor\n "Values": { "A": "1" } }`,
      'host.json': `${bom}{ "version": "2.0" /* as Core Tools writes it */ }`,
    });

    assert.equal(loadAppSettings({ appDir: dir, env: {} }).values.A, '1');
    assert.equal(loadHostSettings(dir, {}).hostJsonPath, join(dir, 'host.json'));
  });

  it('copies file settings into the environment without overwriting what is set', () => {
    const dir = appDir({ '.env': 'FROM_FILE=1\nSET=file\n' });
    const env: NodeJS.ProcessEnv = { SET: 'env' };

    applyAppSettings(loadAppSettings({ appDir: dir, env }), env);

    assert.equal(env.FROM_FILE, '1');
    assert.equal(env.SET, 'env');
  });

  // .NET configuration: keys match in any case, and the one set last (a later source) wins.
  it('looks settings up case-insensitively, taking the one set last', () => {
    assert.equal(getSetting({ servicebusconnection: 'a' }, 'ServiceBusConnection'), 'a');
    assert.equal(getSetting({ X: 'earlier', x: 'later' }, 'x'), 'later');
    assert.equal(getSetting({ x: 'earlier', X: 'later' }, 'x'), 'later');
    assert.equal(getSetting({}, 'missing'), undefined);
  });
});
