import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { emulatorForSuite } from '../support/emulator';
import { REPO_ROOT, spawnWorker, type WorkerProcess } from './support';
import { tempApp } from './tempApp';

// host.json `logging.logLevel` by category, as the Functions host filters: `Function.<name>` for
// the lines about a function's invocations, `Function.<name>.User` for its own context.log lines,
// the longest matching key winning, `default` for the rest. Trace is our debug. LOG_LEVEL, which
// takes the Functions level names too, beats host.json.

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

const APP_CODE = `
const { app } = require('@azure/functions');
for (const name of ['chatty', 'quiet']) {
  app.serviceBusQueue(name, {
    connection: 'ServiceBusConnection',
    queueName: '%' + name.toUpperCase() + '_QUEUE%',
    handler: async (message, context) => {
      context.trace(name + ': trace');
      context.debug(name + ': debug');
      context.log(name + ': log');
      context.info(name + ': info');
      context.warn(name + ': warn');
    },
  });
}
`;

/** The host.json of a new user's trial, keys in mixed case, and a category the worker lacks. */
const TRIAL_HOST_JSON = {
  version: '2.0',
  logging: {
    logLevel: {
      default: 'Warning',
      Function: 'Information',
      'function.CHATTY.user': 'Trace',
      'Host.Results': 'Error',
    },
  },
};

const PREFIXES = ['trial', 'trace', 'warning'];

function appDir(): string {
  return tempApp({
    'package.json': '{"main": "index.js"}',
    'index.js': APP_CODE,
    'host.json': JSON.stringify(TRIAL_HOST_JSON),
  });
}

/** Each function's own lines, as [level, message]. */
function userLines(worker: WorkerProcess, functionName: string): Array<[unknown, unknown]> {
  return worker
    .lines()
    .filter((l) => l.function === functionName && l.category === 'user')
    .map((l) => [l.level, l.msg]);
}

function executedLines(worker: WorkerProcess): unknown[] {
  return worker
    .lines()
    .filter((l) => String(l.msg).startsWith('Executed'))
    .map((l) => l.msg);
}

describe('log levels by category from host.json and LOG_LEVEL', () => {
  const suite = emulatorForSuite({
    queues: PREFIXES.flatMap((prefix) => [`${prefix}-chatty`, `${prefix}-quiet`]),
  });

  /**
   * Sends one message to each function, runs a worker process until both invocations ended
   * (by their user warn lines, which every level here shows), then stops it: the drain waits for
   * the invocation lines, so after the exit every line that was written is there.
   */
  async function runOnce(prefix: string, logLevel: string): Promise<WorkerProcess> {
    for (const name of ['chatty', 'quiet']) {
      const sender = suite.client.createSender(`${prefix}-${name}`);
      await sender.sendMessages({ body: 'x', messageId: `${prefix}-${name}` });
      await sender.close();
    }
    const worker = spawnWorker(appDir(), {
      ServiceBusConnection: suite.emulator.connectionString,
      CHATTY_QUEUE: `${prefix}-chatty`,
      QUIET_QUEUE: `${prefix}-quiet`,
      LOG_LEVEL: logLevel,
    });
    try {
      for (const name of ['chatty', 'quiet']) {
        await worker.waitForLine(`${name}'s warn line`, (l) => l.msg === `${name}: warn`);
      }
      worker.child.kill('SIGTERM');
      const exit = await worker.exited;
      assert.equal(exit.code, 0, worker.stderr());
      return worker;
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
  }

  it('applies Function, Function.<name>.User (longest match, any case), default', async () => {
    const worker = await runOnce('trial', '');

    // Function: Information covers the invocation lines of both functions.
    assert.deepEqual(executedLines(worker).sort(), [
      "Executed 'chatty' (succeeded)",
      "Executed 'quiet' (succeeded)",
    ]);
    // Function.chatty.User: Trace (our debug) beats Function for chatty's own lines,
    assert.deepEqual(userLines(worker, 'chatty'), [
      ['debug', 'chatty: trace'],
      ['debug', 'chatty: debug'],
      ['info', 'chatty: log'],
      ['info', 'chatty: info'],
      ['warn', 'chatty: warn'],
    ]);
    // while quiet's own lines fall under Function: Information.
    assert.deepEqual(userLines(worker, 'quiet'), [
      ['info', 'quiet: log'],
      ['info', 'quiet: info'],
      ['warn', 'quiet: warn'],
    ]);
    // default: Warning for the worker's own lines: no start-up or ready line.
    const infoOfWorker = worker
      .lines()
      .filter((l) => l.function === undefined && l.level === 'info');
    assert.deepEqual(infoOfWorker, []);
    // Host.Results is not the worker's: one warning says so, naming it as written.
    const warnings = worker.lines().filter((l) => String(l.msg).includes('not applied'));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.level, 'warn');
    assert.deepEqual(warnings[0]?.categories, ['Host.Results']);
    assert.match(
      String(warnings[0]?.msg),
      /^host\.json logging\.logLevel Host\.Results not applied/,
    );
  });

  it('takes LOG_LEVEL=Trace (a Functions name) as debug for every line', async () => {
    const worker = await runOnce('trace', 'Trace');

    assert.equal(executedLines(worker).length, 2);
    assert.equal(userLines(worker, 'chatty').length, 5);
    // host.json's Function: Information would hide these; LOG_LEVEL beats it.
    assert.deepEqual(userLines(worker, 'quiet').slice(0, 2), [
      ['debug', 'quiet: trace'],
      ['debug', 'quiet: debug'],
    ]);
    assert.ok(worker.lines().some((l) => String(l.msg).startsWith('Worker ready')));
    const warning = worker.lines().find((l) => String(l.msg).includes('not applied: LOG_LEVEL'));
    assert.deepEqual(warning?.categories, ['Function', 'function.CHATTY.user', 'Host.Results']);
  });

  it('takes LOG_LEVEL=WARNING over host.json: no invocation or info lines', async () => {
    const worker = await runOnce('warning', 'WARNING');

    assert.deepEqual(executedLines(worker), []);
    assert.deepEqual(userLines(worker, 'chatty'), [['warn', 'chatty: warn']]);
    assert.deepEqual(userLines(worker, 'quiet'), [['warn', 'quiet: warn']]);
  });

  it('--check shows the levels in effect for each function', () => {
    const result = spawnSync(process.execPath, [CLI, 'worker', '--app', appDir(), '--check'], {
      env: {
        PATH: process.env.PATH,
        ServiceBusConnection: suite.emulator.connectionString,
        CHATTY_QUEUE: 'trial-chatty',
        QUIET_QUEUE: 'trial-quiet',
      },
      encoding: 'utf8',
    });

    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { logLevels: unknown };
    assert.deepEqual(report.logLevels, {
      source: 'host.json',
      default: 'warn',
      functions: {
        chatty: { invocations: 'info', user: 'debug' },
        quiet: { invocations: 'info', user: 'info' },
      },
      notApplied: ['Host.Results'],
    });
  });
});
