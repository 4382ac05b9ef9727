import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';

import { startTestEmulator } from '../support/emulator';
import { REPO_ROOT, tempDir } from './support';

/** Long enough for the drain and the summary; the orphan of the old scripts never exits. */
const EXIT_WAIT_MS = 30_000;

interface NpmRun {
  /** npm's own exit, then whether every process that held its output has gone too. */
  npmExited: Promise<void>;
  allExited: Promise<boolean>;
  output(): string;
  npmPid: number;
}

/**
 * A copy of the project's package.json in a folder of its own, next to links to the built
 * project: `npm start` there runs the project's scripts, but its build step does nothing, so
 * that it cannot delete dist/ under the tests that run from it.
 */
function projectWithoutBuild(path: string, build = 'node -e ""'): void {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  manifest.scripts.build = build;
  writeFileSync(join(path, 'package.json'), JSON.stringify(manifest, null, 2));
  copyFileSync(join(REPO_ROOT, '.npmrc'), join(path, '.npmrc'));
  for (const name of ['dist', 'node_modules', 'scripts', 'host.json', 'sample-data']) {
    symlinkSync(join(REPO_ROOT, name), join(path, name));
  }
}

function runNpm(cwd: string, args: string[], env: NodeJS.ProcessEnv): NpmRun {
  // A setting from the environment (the npm that runs these tests) would override the copy's.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
  );
  const child = spawn('npm', args, { cwd, env: { ...inherited, ...env }, stdio: 'pipe' });
  child.stdin.end();
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));

  // The pipes close once the last process holding them has exited: npm, its shell, and the
  // command the script runs.
  const closed = (stream: Readable) => new Promise((done) => stream.on('close', done));
  const allClosed = Promise.all([closed(child.stdout), closed(child.stderr)]);
  return {
    npmExited: new Promise((done) => child.on('exit', () => done())),
    allExited: Promise.race([
      allClosed.then(() => true),
      new Promise<boolean>((done) => setTimeout(() => done(false), EXIT_WAIT_MS).unref()),
    ]),
    output: () => output,
    npmPid: child.pid ?? 0,
  };
}

async function waitFor(run: NpmRun, text: string): Promise<void> {
  const deadline = Date.now() + EXIT_WAIT_MS;
  while (!run.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no '${text}' in:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every process below `pid`, found before it ends (an orphan's parent changes after). */
function descendantsOf(pid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((row) => row.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  for (let parents = [pid]; parents.length > 0;) {
    parents = table.filter(([, ppid]) => parents.includes(ppid)).map(([child]) => child);
    found.push(...parents);
  }
  return found;
}

/** Ends what the old scripts left running, so that a failing test leaves nothing behind. */
function killLeftovers(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Sends SIGTERM to npm once `ready` is printed. Returns what every process printed, and whether
 * all of them ended.
 */
async function stopThroughNpm(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: string,
  build?: string,
): Promise<{ output: string; allExited: boolean }> {
  const project = tempDir('sbworker-npm-');
  try {
    projectWithoutBuild(project.path, build);
    const run = runNpm(project.path, args, env);
    let below: number[] = [];
    let allExited = false;
    try {
      await waitFor(run, ready);
      below = descendantsOf(run.npmPid);

      process.kill(run.npmPid, 'SIGTERM');
      await run.npmExited;
      allExited = await run.allExited;
    } finally {
      if (!allExited) killLeftovers([run.npmPid, ...below, ...descendantsOf(run.npmPid)]);
    }
    return { output: run.output(), allExited };
  } finally {
    project.remove();
  }
}

describe(
  'SIGTERM sent to npm reaches the command of the npm script',
  {
    skip: process.platform === 'win32' ? 'POSIX signals' : false,
  },
  () => {
    const data = tempDir('sbworker-npm-data-');
    after(() => data.remove());

    it('npm start: drains, prints the summary and exits', async () => {
      const { output, allExited } = await stopThroughNpm(
        ['start', '--', '--no-sample', '--emulator-port', '0'],
        { PGLITE_DIR: data.path, LOG_LEVEL: 'info' },
        'still listening',
      );

      assert.equal(allExited, true, `the command still ran ${EXIT_WAIT_MS} ms later:\n${output}`);
      assert.match(output, /"msg":"Shutting down/);
      assert.match(output, /"msg":"Run summary/);
    });

    it('npm run worker: drains and exits', async () => {
      const emulator = await startTestEmulator({ queues: ['orders', 'shipments', 'jobs'] });
      try {
        const { output, allExited } = await stopThroughNpm(
          ['run', 'worker'],
          { PGLITE_DIR: data.path, ServiceBusConnection: emulator.connectionString },
          'Worker ready',
        );

        assert.equal(allExited, true, `the worker still ran ${EXIT_WAIT_MS} ms later:\n${output}`);
        assert.match(output, /"msg":"Shutting down/);
      } finally {
        await emulator.close();
      }
    });

    it('npm run emulator: a stop during the build keeps the command from starting', async () => {
      const slowBuild = `node -e "console.log('building'); setTimeout(() => {}, 2000)"`;
      const { output, allExited } = await stopThroughNpm(
        ['run', 'emulator', '--', '--port', '0'],
        {},
        'building',
        slowBuild,
      );

      assert.equal(allExited, true, `the command still ran ${EXIT_WAIT_MS} ms later:\n${output}`);
      assert.doesNotMatch(output, /Service Bus emulator ready/);
    });

    it('npm run emulator: stops and exits', async () => {
      const { output, allExited } = await stopThroughNpm(
        ['run', 'emulator', '--', '--port', '0'],
        {},
        'Service Bus emulator ready',
      );

      assert.equal(allExited, true, `the emulator still ran ${EXIT_WAIT_MS} ms later:\n${output}`);
      assert.match(output, /"signal":"SIGTERM","msg":"stopping"/);
      assert.match(output, /"msg":"emulator stopped"/);
    });
  },
);
