import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startTestEmulator } from '../support/emulator';
import {
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  REPO_ROOT,
  spawnWorker,
  stopWorkerProcess,
} from './support';

// Trial CS: clientRetryOptions values the Functions host refuses at start-up passed the
// worker and `--check`. A delay of 0 made a worker whose broker refused it reconnect about
// 270 times a second; a try timeout of 0 (which the host takes) stopped start-up with the
// JavaScript SDK's refusal reported as one of the connection string. Real worker processes,
// a real emulator: each must stop before connecting, naming the setting.

const cli = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const names = probeNames('retry-range');
const OVERRIDE = 'AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__';
let emulator: Awaited<ReturnType<typeof startTestEmulator>>;

before(async () => {
  emulator = await startTestEmulator(probeEntities(names));
});
after(async () => {
  await emulator.close();
});

// What each refusal says after the setting's name, a line of stderr on its own.
const cases: Array<[string, string, string]> = [
  ['delay', '00:00:00', 'must be from 00:00:00.001 to 00:05:00 (got "00:00:00")'],
  ['maxRetries', '1000', 'must be an integer from 0 to 100 (got "1000")'],
  [
    'tryTimeout',
    '00:00:00',
    'must be from 00:00:00.001 to 01:00:00 (got "00:00:00"); the host also takes 00:00:00, ' +
      'but the JavaScript Service Bus SDK needs at least 1 ms',
  ],
];

describe('worker start-up with clientRetryOptions out of range', () => {
  for (const [key, value, refusal] of cases) {
    const setting = `${OVERRIDE}${key}`;
    const expected = `sbworker: InvalidConfiguration: setting ${setting} ${refusal}\n`;

    it(`--check refuses ${key} ${value}, naming the setting and the range`, () => {
      const env = {
        PATH: process.env.PATH,
        ...probeEnv(emulator.connectionString, names),
        [setting]: value,
      };

      const result = spawnSync(process.execPath, [cli, 'worker', '--app', PROBE_APP, '--check'], {
        env,
        encoding: 'utf8',
      });

      assert.equal(result.status, 1, result.stdout);
      assert.ok(result.stderr.includes(expected), result.stderr);
    });

    it(`the worker stops at start with ${key} ${value}, before connecting`, async () => {
      const worker = spawnWorker(PROBE_APP, {
        ...probeEnv(emulator.connectionString, names),
        [setting]: value,
      });
      const timer = setTimeout(() => void stopWorkerProcess(worker), 15_000);

      const exit = await worker.exited;
      clearTimeout(timer);

      assert.deepEqual(exit, { code: 1, signal: null }, worker.stderr());
      assert.ok(worker.stderr().includes(expected), worker.stderr());
      assert.doesNotMatch(worker.stderr(), /connection string/);
      assert.equal(
        worker.lines().find((line) => String(line.msg).startsWith('Worker ready')),
        undefined,
      );
    });
  }
});
