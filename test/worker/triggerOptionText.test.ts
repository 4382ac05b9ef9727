import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadApp } from '../../src/worker/appLoader';
import { planFunctions } from '../../src/worker/functionPlan';
import { loadHostSettings } from '../../src/worker/hostSettings';
import { emulatorForSuite } from '../support/emulator';
import { REPO_ROOT, spawnWorker, stopWorkerProcess, waitFor } from './support';
import { indexApp, recordedJson, tempApp } from './tempApp';

// Trigger options written as text. The host builds the trigger's attribute from the binding
// JSON with Json.NET (`JToken.ToObject` in the WebJobs SDK's AttributeCloner), which converts a
// string with .NET's parsing: `Int32.Parse` with NumberStyles.Integer (white space around, a
// leading sign, digits) for an int and `Boolean.Parse` (True or False in any case, white space
// around) for a bool; other text throws FormatException and the function does not start.
// Trial BC: `maxMessageBatchSize: "5"` was refused while `autoCompleteMessages: "false"` ran.

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** An app with one queue function whose trigger also has these options (JS source text). */
function optionApp(options: string, name = 'textual'): string {
  return tempApp(
    indexApp([
      `const { app } = require('@azure/functions');`,
      `app.serviceBusQueue('${name}', { connection: 'TextConnection', queueName: 'text-q',`,
      `  ${options}, handler: async () => {} });`,
    ]),
  );
}

async function planOf(appDir: string) {
  const app = await loadApp(appDir, () => undefined);
  const [fn] = planFunctions(app.registry, loadHostSettings(appDir, {}).serviceBus, {}).functions;
  assert.ok(fn !== undefined, 'the function was planned');
  return fn;
}

describe('trigger options written as text', () => {
  it('takes whole-number text for maxMessageBatchSize, as Int32.Parse does', async () => {
    const cases: Array<[string, number]> = [
      ['"5"', 5],
      ['" +7 "', 7],
      ['"\\t12\\n"', 12],
      ['"\\u000b9\\u000c\\r"', 9],
      ['"2147483647"', 2_147_483_647],
    ];
    for (const [text, expected] of cases) {
      const fn = await planOf(optionApp(`cardinality: 'many', maxMessageBatchSize: ${text}`));
      assert.equal(fn.maxMessageBatchSize, expected, text);
    }
  });

  it('takes true and false text in any case for the flags, as Boolean.Parse does', async () => {
    const cases: Array<[string, boolean]> = [
      ['"false"', false],
      ['"False"', false],
      ['" TRUE "', true],
    ];
    for (const [text, expected] of cases) {
      const options = `autoCompleteMessages: ${text}, isSessionsEnabled: ${text}`;
      const fn = await planOf(optionApp(options));
      assert.equal(fn.autoCompleteMessages, expected, text);
      assert.equal(fn.isSessionsEnabled, expected, text);
    }
  });

  it('refuses text the host cannot convert, naming the function, option and value', async () => {
    const counts = ['"five"', '"1.5"', '""', '"1e3"', '"0x10"', '"0"', '"2147483648"'];
    // Review CD: Unicode spaces that are not .NET's white space (no-break, em, BOM) were taken.
    counts.push('"\\u00a05"', '"5\\u2003"', '"\\ufeff5"');
    for (const text of counts) {
      await assert.rejects(
        planOf(optionApp(`maxMessageBatchSize: ${text}`, 'counted')),
        new RegExp(
          String.raw`function 'counted': maxMessageBatchSize must be an integer from 1 to ` +
            String.raw`2147483647 \(got ${text.replace(/[.+]/g, '\\$&')}\)`,
        ),
        text,
      );
    }
    for (const text of ['"yes"', '"1"', '""', '"truth"']) {
      for (const option of ['autoCompleteMessages', 'isSessionsEnabled']) {
        await assert.rejects(
          planOf(optionApp(`${option}: ${text}`, 'flagged')),
          new RegExp(`function 'flagged': ${option} must be true or false \\(got ${text}\\)`),
          `${option}: ${text}`,
        );
      }
    }
  });

  it('passes worker --check with the converted values, and fails it on "five"', () => {
    const check = (appDir: string) =>
      spawnSync(process.execPath, [CLI, 'worker', '--app', appDir, '--check'], {
        env: {
          PATH: process.env.PATH,
          TextConnection:
            'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=check;SharedAccessKey=unused;' +
            'UseDevelopmentEmulator=true',
        },
        encoding: 'utf8',
      });

    const passed = check(
      optionApp(`cardinality: 'many', maxMessageBatchSize: '5', autoCompleteMessages: 'False'`),
    );
    assert.equal(passed.status, 0, passed.stderr);
    const report = JSON.parse(passed.stdout) as { functions: Array<Record<string, unknown>> };
    assert.equal(report.functions[0]?.maxMessageBatchSize, 5);
    assert.equal(report.functions[0]?.autoCompleteMessages, false);

    const failed = check(optionApp(`cardinality: 'many', maxMessageBatchSize: 'five'`));
    assert.notEqual(failed.status, 0);
    assert.match(
      failed.stderr,
      /InvalidConfiguration: .*function 'textual': maxMessageBatchSize .*\(got "five"\)/,
    );
  });
});

describe('a batch size written as text, on the emulator', () => {
  const suite = emulatorForSuite({ queues: ['text-batch-q'] });

  it('receives batches of at most that size', async () => {
    const appDir = tempApp(
      indexApp([
        `const { writeFileSync } = require('node:fs');`,
        `const { join } = require('node:path');`,
        `const { app } = require('@azure/functions');`,
        `const sizes = [];`,
        `app.serviceBusQueue('textBatch', { connection: 'TextConnection',`,
        `  queueName: 'text-batch-q', cardinality: 'many', maxMessageBatchSize: '2',`,
        `  handler: async (messages) => {`,
        `    sizes.push(messages.length);`,
        `    writeFileSync(join(__dirname, 'sizes.json'), JSON.stringify(sizes));`,
        `  } });`,
      ]),
    );
    const sender = suite.client.createSender('text-batch-q');
    await sender.sendMessages([1, 2, 3, 4, 5].map((n) => ({ body: `m${n}` })));
    await sender.close();

    const worker = spawnWorker(appDir, { TextConnection: suite.emulator.connectionString });
    try {
      const sizes = await waitFor(
        'all five messages',
        () => {
          const seen = recordedJson(appDir, 'sizes') as number[] | undefined;
          return seen && seen.reduce((sum, size) => sum + size, 0) >= 5 ? seen : undefined;
        },
        15_000,
      );
      assert.ok(
        sizes.every((size) => size <= 2),
        `batches of ${sizes.join(', ')} (${worker.stderr()})`,
      );
    } finally {
      await stopWorkerProcess(worker);
    }
  });
});
