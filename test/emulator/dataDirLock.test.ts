import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';

import { testClient } from '../support/emulator';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const QUEUE = 'orders';
const LOCK_FILE = 'emulator.lock';

interface EmulatorRun {
  child: ChildProcess;
  /** The ready line's connection string; rejects when the process exits first. */
  ready: Promise<string>;
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

function runEmulator(args: string[]): EmulatorRun {
  const child = spawn(process.execPath, [MAIN, 'emulator', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      stdout += `${line}\n`;
      const match = /(Endpoint=sb:\/\/localhost:\d+;[^ ]*)/.exec(line);
      if (match) resolve(match[1]!.replace('localhost', '127.0.0.1'));
    });
    void exited.then((code) => reject(new Error(`exited with ${String(code)}: ${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Every file in the folder with what a rewrite would change: inode, size, mtime, bytes. */
function folderState(dir: string): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const name of readdirSync(dir).sort()) {
    const stat = statSync(join(dir, name));
    const bytes = readFileSync(join(dir, name)).toString('base64');
    state[name] = { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, bytes };
  }
  return state;
}

async function send(connectionString: string, messageId: string): Promise<void> {
  const client = testClient(connectionString);
  await client.createSender(QUEUE).sendMessages({ body: messageId, messageId });
  await client.close();
}

async function peekIds(connectionString: string): Promise<unknown[]> {
  const client = testClient(connectionString);
  const messages = await client.createReceiver(QUEUE).peekMessages(10);
  await client.close();
  return messages.map((message) => message.messageId);
}

function portOf(connectionString: string): string {
  return /sb:\/\/[^:]+:(\d+);/.exec(connectionString)![1]!;
}

/** The exit code, or 'ready' for an emulator that started (and is then stopped). */
async function outcomeOf(run: EmulatorRun): Promise<number | null | 'ready'> {
  const outcome = await Promise.race([run.exited, run.ready.then(() => 'ready' as const)]);
  if (outcome === 'ready') run.child.kill('SIGTERM');
  return outcome;
}

async function killHard(run: EmulatorRun): Promise<void> {
  run.child.kill('SIGKILL');
  await run.exited;
}

describe('emulator data folder: one emulator per folder', () => {
  let root: string;
  let config: string;
  const runs: EmulatorRun[] = [];
  const start = (args: string[]): EmulatorRun => {
    const run = runEmulator(['--config', config, '--http-port', '0', ...args]);
    runs.push(run);
    return run;
  };

  /** An emulator holding a new folder with one message in it, and the folder's state then. */
  const holdWithMessage = async (name: string, messageId: string) => {
    const dir = join(root, name);
    const first = start(['--port', '0', '--data-dir', dir]);
    const connectionString = await first.ready;
    await send(connectionString, messageId);
    return { dir, first, connectionString, held: folderState(dir) };
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sbworker-datadir-lock-'));
    config = join(root, 'Config.json');
    const namespace = { Name: 'sbemulatorns', Queues: [{ Name: QUEUE }], Topics: [] };
    const userConfig = { Namespaces: [namespace], Logging: { Type: 'Console' } };
    await writeFile(config, JSON.stringify({ UserConfig: userConfig }));
  });
  after(async () => {
    for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a 2nd start on a held folder before binding; the folder is unchanged', async () => {
    const { dir, first, connectionString, held } = await holdWithMessage('second-start', 'before');

    // The trial's mistake: the same folder and the same (taken) port.
    const second = start(['--port', portOf(connectionString), '--data-dir', dir]);
    assert.equal(await outcomeOf(second), 1);
    assert.equal(second.stdout(), '', 'the refused emulator printed a ready line');
    const refusal =
      `sbworker: DataDirInUse: the emulator data folder ${dir} is in use by process ` +
      `${first.child.pid} (if that process is not one of ours, delete ${dir}/emulator.lock by` +
      ' hand); one emulator serves a data folder at a time';
    assert.ok(second.stderr().includes(refusal), second.stderr());
    assert.doesNotMatch(second.stderr(), /EADDRINUSE/);
    assert.deepEqual(folderState(dir), held);

    // What the first acknowledges after the refused start must survive its kill -9.
    await send(connectionString, 'after');
    await killHard(first);
    const restarted = start(['--port', '0', '--data-dir', dir]);
    assert.deepEqual(await peekIds(await restarted.ready), ['before', 'after']);
    restarted.child.kill('SIGTERM');
    assert.equal(await restarted.exited, 0);
  });

  it('says a file is at a parent of the data folder, before anything starts', async () => {
    // A file where a parent folder should be: mkdir fails with ENOTDIR.
    const parent = join(root, 'not-a-folder');
    await writeFile(parent, 'a file');
    const dir = join(parent, 'data');

    const refused = start(['--port', '0', '--data-dir', dir]);
    assert.equal(await outcomeOf(refused), 1);
    assert.equal(refused.stdout(), '');
    assert.equal(
      refused.stderr().trim().split('\n').at(-1),
      `sbworker: DataDirLockFailed: could not create the emulator data folder ${dir} ` +
        '(ENOTDIR); a file, not a folder, is at one of its parent paths: give another ' +
        '--data-dir',
    );
  });

  it('says --data-dir names a file, not a folder, before anything starts', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'a file');

    const refused = start(['--port', '0', '--data-dir', file]);
    assert.equal(await outcomeOf(refused), 1);
    assert.equal(refused.stdout(), '');
    assert.equal(
      refused.stderr().trim().split('\n').at(-1),
      `sbworker: DataDirLockFailed: could not create the emulator data folder ${file} ` +
        '(EEXIST); a file, not a folder, is at that path: give another --data-dir',
    );
    assert.equal(readFileSync(file, 'utf8'), 'a file');
  });

  it('takes over the lock of an emulator killed with -9, and removes it on stop', async () => {
    const dir = join(root, 'killed');
    const first = start(['--port', '0', '--data-dir', dir]);
    await send(await first.ready, 'kept');
    await killHard(first);
    const lockPath = join(dir, LOCK_FILE);
    assert.equal(readFileSync(lockPath, 'utf8').split('\n')[0], String(first.child.pid));

    const second = start(['--port', '0', '--data-dir', dir]);
    assert.deepEqual(await peekIds(await second.ready), ['kept']);
    assert.equal(readFileSync(lockPath, 'utf8').split('\n')[0], String(second.child.pid));
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
    assert.equal(existsSync(lockPath), false);
  });

  it('refuses --reset while a live emulator holds the folder, deleting nothing', async () => {
    const { dir, first, connectionString, held } = await holdWithMessage('reset', 'kept');

    const reset = start(['--port', '0', '--data-dir', dir, '--reset']);
    assert.equal(await outcomeOf(reset), 1);
    assert.match(reset.stderr(), /sbworker: DataDirInUse: the emulator data folder/);
    assert.deepEqual(folderState(dir), held);
    assert.deepEqual(await peekIds(connectionString), ['kept']);

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    const again = start(['--port', '0', '--data-dir', dir, '--reset']);
    assert.deepEqual(await peekIds(await again.ready), []);
    again.child.kill('SIGTERM');
    await once(again.child, 'exit');
  });

  it('lets one of two emulators started together on a stale lock take the folder', async () => {
    const dir = join(root, 'race');
    const dead = start(['--port', '0', '--data-dir', dir]);
    await dead.ready;
    await killHard(dead);

    const pair = [
      start(['--port', '0', '--data-dir', dir]),
      start(['--port', '0', '--data-dir', dir]),
    ];
    const outcomes = await Promise.all(
      pair.map((run) =>
        run.ready.then(
          () => 'ready',
          () => run.stderr(),
        ),
      ),
    );
    const readyCount = outcomes.filter((outcome) => outcome === 'ready').length;
    assert.equal(readyCount, 1, outcomes.join('\n'));
    assert.match(
      outcomes.find((outcome) => outcome !== 'ready')!,
      /DataDirInUse/,
    );
    for (const run of pair) run.child.kill('SIGTERM');
    await Promise.all(pair.map((run) => run.exited));
  });
});
