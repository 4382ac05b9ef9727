import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

import { startEmulator } from '../../src/emulator';
import { queueWithDefaults } from '../../src/emulator/config/defaults';
import { entityLogPath } from '../../src/emulator/store/entityLog';
import { createAdministrationClient } from '../../src/shared/adminClient';
import { isAppError } from '../../src/shared/errors';
import { runEmulator, startedOn } from '../support/cliEmulator';
import { adminFor, dataDirsForSuite } from '../support/durableEmulator';
import { testNamespace } from '../support/emulator';
import { captureLogger } from '../worker/support';

/** `sbworker emulator --data-dir <dir>` on free ports, with an admin client once it is up. */
async function startCli(dataDir: string) {
  const run = runEmulator(['--port', '0', '--http-port', '0', '--data-dir', dataDir]);
  const { connectionString, httpPort } = await startedOn(run);
  const admin = createAdministrationClient(connectionString, { emulatorHttpPort: httpPort });
  const stop = async () => {
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.stderr());
  };
  return { run, admin, stop };
}

/** The log lines a run wrote to stderr (JSON lines), by their message. */
function logLines(stderr: string, message: RegExp): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => message.test(String(line.msg)));
}

/** A line as the emulator writes it when a queue is created through the management API. */
function queueChange(name: string): string {
  return JSON.stringify({ op: 'createQueue', config: queueWithDefaults(name) });
}

// Each change is appended and synced before the next (README, management API: with --data-dir,
// entities created at run time survive a restart); a crash can cut only the last write short.
describe('emulator entity log after a crash', () => {
  const dataDir = dataDirsForSuite('sbworker-entity-log-');

  it('keeps the entities created after a torn last line, across two restarts', async () => {
    const dir = await dataDir();
    const first = await startCli(dir);
    await first.admin.createQueue('before-crash');
    first.run.child.kill('SIGKILL');
    await first.run.exited;
    // What a crash in the middle of the next append leaves: part of a line, no newline.
    const torn = queueChange('never-acknowledged').slice(0, 30);
    await appendFile(entityLogPath(dir), torn);

    const second = await startCli(dir);
    await second.admin.createQueue('after-crash');
    await second.stop();
    const cut = logLines(second.run.stderr(), /cut short by a crash/);
    assert.equal(cut.length, 1, second.run.stderr());
    assert.equal(cut[0]?.level, 'warn');
    assert.equal(cut[0]?.file, entityLogPath(dir));
    assert.equal(cut[0]?.droppedBytes, Buffer.byteLength(torn));
    assert.ok(!second.run.stderr().includes('never-'), 'the log shows no content of the line');

    const third = await startCli(dir);
    try {
      assert.equal(await third.admin.queueExists('before-crash'), true, 'before-crash');
      assert.equal(await third.admin.queueExists('after-crash'), true, 'after-crash');
      assert.equal(await third.admin.queueExists('never-acknowledged'), false);
      assert.deepEqual(logLines(third.run.stderr(), /entity log/), []);
    } finally {
      await third.stop();
    }
  });

  it('keeps a change an old version appended onto a torn line, and mends the file', async () => {
    const dir = await dataDir();
    const torn = queueChange('never-acknowledged').slice(0, 30);
    const lines = [queueChange('one'), torn + queueChange('two'), queueChange('three')];
    await mkdir(dir, { recursive: true });
    await writeFile(entityLogPath(dir), lines.map((line) => `${line}\n`).join(''));

    const log = captureLogger();
    const emulator = await start(dir, log.logger);
    try {
      const admin = adminFor(emulator);
      for (const name of ['one', 'two', 'three']) assert.ok(await admin.queueExists(name), name);
    } finally {
      await emulator.close();
    }
    const warnings = log.lines().filter((line) => line.level === 'warn');
    assert.deepEqual(
      warnings.map((line) => [line.file, line.line, line.droppedBytes]),
      [[entityLogPath(dir), 2, Buffer.byteLength(torn)]],
    );
    const mended = ['one', 'two', 'three'].map((name) => `${queueChange(name)}\n`).join('');
    assert.equal(await readFile(entityLogPath(dir), 'utf8'), mended);
  });

  it('refuses to start on a damaged line that is not the last, naming file and line', async () => {
    const dir = await dataDir();
    const secret = 'line-content-7f3a';
    const lines = [queueChange('one'), `{"damaged":"${secret}"}`, queueChange('three')];
    await mkdir(dir, { recursive: true });
    await writeFile(entityLogPath(dir), lines.map((line) => `${line}\n`).join(''));

    const failure = await start(dir).then(
      async (emulator) => {
        await emulator.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    assert.ok(isAppError(failure), String(failure));
    assert.equal(failure.code, 'EntityLogDamaged');
    assert.equal(failure.retryable, false);
    assert.ok(failure.message.includes(`${entityLogPath(dir)} is damaged at line 2`));
    assert.ok(!failure.message.includes(secret));
  });
});

function start(dataDir: string, logger = captureLogger().logger) {
  return startEmulator({
    port: 0,
    httpPort: 0,
    hosts: ['127.0.0.1'],
    namespace: testNamespace(),
    dataDir,
    logger,
  });
}
