import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';

import { loadApp } from '../../src/worker/appLoader';
import { expandEntryPattern } from '../../src/worker/entryGlob';
import { planFunctions } from '../../src/worker/functionPlan';
import { loadHostSettings } from '../../src/worker/hostSettings';
import { PROBE_APP, REPO_ROOT, SESSIONS_APP } from './support';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempApp(files: Record<string, string>): string {
  // Inside the repository, so that the apps resolve @azure/functions from its node_modules.
  const parent = join(REPO_ROOT, 'dist', 'tmp');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'sbworker-app-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const PROBE_SETTINGS = {
  PROBE_QUEUE: 'q-in',
  PROBE_BINARY_QUEUE: 'q-bin',
  PROBE_TOPIC: 't-in',
  PROBE_OUT: 'q-out',
  PROBE_EXTRA_OUT: 'q-extra',
  PROBE_SESSION_QUEUE: 'q-sessions',
  PROBE_BATCH_QUEUE: 'q-batch',
};

describe('loadApp', () => {
  it('captures every registration with the library metadata, without test mode', async () => {
    const warn = mock.method(console, 'warn', () => undefined);
    try {
      const app = await loadApp(PROBE_APP, () => undefined);

      assert.deepEqual([...app.registry.functions.keys()].sort(), [
        'probeBatch',
        'probeBinary',
        'probeQueue',
        'probeTopic',
      ]);
      assert.equal(warn.mock.callCount(), 0, 'the library did not switch to test mode');

      const bindings = app.registry.functions.get('probeQueue')?.metadata.bindings ?? {};
      const [triggerName, trigger] =
        Object.entries(bindings).find(([, b]) => b.direction === 'in') ?? [];
      assert.match(triggerName ?? '', /^serviceBusTrigger/);
      assert.equal(trigger?.type, 'serviceBusTrigger');
      assert.equal(trigger?.queueName, '%PROBE_QUEUE%');
      assert.equal(trigger?.connection, 'ProbeConnection');
      assert.deepEqual(trigger?.properties, { supportsDeferredBinding: 'false' });
      assert.equal(bindings.$return?.type, 'serviceBus');
      assert.equal(bindings.$return?.direction, 'out');
    } finally {
      warn.mock.restore();
    }
  });

  it('captures the hooks in registration order', async () => {
    const app = await loadApp(PROBE_APP, () => undefined);

    for (const hook of ['appStart', 'preInvocation', 'postInvocation', 'appTerminate'] as const) {
      assert.equal(app.registry.hooksFor(hook).length, 1, hook);
    }
  });

  it('loads an app again in the same process with fresh registrations', async () => {
    const first = await loadApp(PROBE_APP, () => undefined);
    const second = await loadApp(PROBE_APP, () => undefined);

    assert.notEqual(first.registry, second.registry);
    assert.equal(second.registry.functions.size, 4);
  });

  it('loads every file that main matches, in sorted order, ES modules too', async () => {
    const register = (name: string) =>
      `const { app } = require('@azure/functions');\n` +
      `app.serviceBusQueue('${name}', ` +
      `{ connection: 'C', queueName: '${name}', handler: async () => {} });\n`;
    const dir = tempApp({
      'package.json': JSON.stringify({ main: 'dist/{index.js,functions/*.js,esm.mjs}' }),
      'dist/index.js': register('fromIndex'),
      'dist/esm.mjs':
        `import { app } from '@azure/functions';\n` +
        `app.serviceBusQueue('fromEsm', ` +
        `{ connection: 'C', queueName: 'e', handler: async () => {} });\n`,
      'dist/functions/b.js': register('b'),
      'dist/functions/a.js': register('a'),
      'dist/functions/readme.md': 'not code',
    });

    const app = await loadApp(dir, () => undefined);

    assert.deepEqual(
      app.entryFiles.map((f) => f.slice(dir.length + 1)),
      ['dist/esm.mjs', 'dist/functions/a.js', 'dist/functions/b.js', 'dist/index.js'],
    );
    assert.deepEqual([...app.registry.functions.keys()], ['fromEsm', 'a', 'b', 'fromIndex']);
  });

  it('stops with errors naming package.json, the pattern, or the failing file', async () => {
    await assert.rejects(
      loadApp(tempApp({}), () => undefined),
      /has no package\.json/,
    );
    await assert.rejects(
      loadApp(tempApp({ 'package.json': JSON.stringify({ main: 'dist/*.js' }) }), () => undefined),
      /main "dist\/\*\.js" matches no files/,
    );
    await assert.rejects(
      loadApp(
        tempApp({ 'package.json': '{"main": "a.js"}', 'a.js': 'throw new Error("boom at load")' }),
        () => undefined,
      ),
      /Loading entry file .*a\.js failed: boom at load/,
    );
  });
});

describe('expandEntryPattern', () => {
  it('expands *, ** and braces relative to the app folder, skipping dot files', () => {
    const dir = tempApp({
      'src/a.js': '',
      'src/deep/b.js': '',
      'src/.hidden.js': '',
      'src/c.ts': '',
    });

    assert.deepEqual(expandEntryPattern(dir, 'src/*.js'), ['src/a.js']);
    assert.deepEqual(expandEntryPattern(dir, 'src/**/*.js'), ['src/a.js', 'src/deep/b.js']);
    assert.deepEqual(expandEntryPattern(dir, './src/{a.js,c.ts}'), ['src/a.js', 'src/c.ts']);
    assert.deepEqual(expandEntryPattern(dir, 'src/missing.js'), []);
  });
});

describe('planFunctions', () => {
  it('resolves %SETTING% entity names; per-function overrides beat host.json', async () => {
    const app = await loadApp(PROBE_APP, () => undefined);
    const host = loadHostSettings(PROBE_APP, {});

    const plan = planFunctions(app.registry, host.serviceBus, PROBE_SETTINGS);
    const byName = new Map(plan.functions.map((fn) => [fn.name, fn]));

    assert.deepEqual(byName.get('probeQueue')?.entity, { kind: 'queue', queueName: 'q-in' });
    assert.equal(byName.get('probeQueue')?.autoCompleteMessages, true);
    assert.deepEqual(
      byName
        .get('probeQueue')
        ?.outputs.map((o) => [
          o.bindingName.startsWith('serviceBus') ? 'extra' : o.bindingName,
          o.entityName,
        ])
        .sort(),
      [
        ['$return', 'q-out'],
        ['extra', 'q-extra'],
      ],
    );
    assert.deepEqual(byName.get('probeTopic')?.entity, {
      kind: 'subscription',
      topicName: 't-in',
      subscriptionName: 'probe-sub',
    });
    assert.equal(byName.get('probeTopic')?.autoCompleteMessages, false);
    assert.equal(byName.get('probeBinary')?.dataType, 'binary');
    assert.equal(byName.get('probeQueue')?.connectionName, 'ProbeConnection');
    assert.equal(byName.get('probeBatch')?.cardinality, 'many');
    assert.equal(
      byName.get('probeBatch')?.maxMessageBatchSize,
      5,
      'the trigger option overrides host.json',
    );
  });

  it('reads isSessionsEnabled from the trigger', async () => {
    const app = await loadApp(SESSIONS_APP, () => undefined);
    const host = loadHostSettings(SESSIONS_APP, {});

    const [fn] = planFunctions(app.registry, host.serviceBus, {
      PROBE_SESSION_QUEUE: 'q-s',
    }).functions;

    assert.equal(fn?.isSessionsEnabled, true);
    assert.deepEqual(fn?.entity, { kind: 'queue', queueName: 'q-s' });
  });

  it('names the function and setting when an entity expression is unresolved', async () => {
    const app = await loadApp(PROBE_APP, () => undefined);
    const host = loadHostSettings(PROBE_APP, {});

    assert.throws(
      () => planFunctions(app.registry, host.serviceBus, { ...PROBE_SETTINGS, PROBE_QUEUE: '' }),
      /queueName refers to setting 'PROBE_QUEUE' \(as %PROBE_QUEUE%\), which is empty/,
    );
  });

  it("refuses a batch function whose maxMessageBatchSize is below the host's minimum", async () => {
    const app = await loadApp(PROBE_APP, () => undefined);
    const host = loadHostSettings(PROBE_APP, {
      AzureFunctionsJobHost__extensions__serviceBus__minMessageBatchSize: '6',
    });

    // probeBatch sets maxMessageBatchSize 5 on its trigger.
    assert.throws(
      () => planFunctions(app.registry, host.serviceBus, PROBE_SETTINGS),
      /function 'probeBatch': maxMessageBatchSize 5 is below minMessageBatchSize 6/,
    );
  });

  it('refuses entity names that Azure refuses, after resolving settings', async () => {
    const app = await loadApp(PROBE_APP, () => undefined);
    const host = loadHostSettings(PROBE_APP, {});
    const plan = (settings: Record<string, string>) => () =>
      planFunctions(app.registry, host.serviceBus, { ...PROBE_SETTINGS, ...settings });

    assert.throws(
      plan({ PROBE_QUEUE: 'bad queue name' }),
      /function 'probeQueue' queueName "bad queue name" is not a valid Service Bus entity name/,
    );
    assert.throws(plan({ PROBE_TOPIC: 'orders/' }), /topicName "orders\/" is not a valid/);
    assert.throws(plan({ PROBE_OUT: '-out' }), /output \$return "-out" is not a valid Service Bus/);
    assert.throws(plan({ PROBE_QUEUE: 'vt/Subscriptions/vs' }), /no "Subscriptions" segment/);
    assert.doesNotThrow(plan({ PROBE_QUEUE: 'shop/orders_v2.eu-1' }));
  });

  it('refuses a function name that the Functions host refuses', async () => {
    const register = (name: string) =>
      `require('@azure/functions').app.serviceBusQueue(${JSON.stringify(name)}, ` +
      `{ connection: 'C', queueName: 'q', handler: async () => {} });\n`;
    const plan = async (name: string) => {
      const dir = tempApp({
        'package.json': JSON.stringify({ main: 'index.js' }),
        'index.js': register(name),
      });
      const app = await loadApp(dir, () => undefined);
      return planFunctions(app.registry, loadHostSettings(dir, {}).serviceBus, {});
    };

    await assert.rejects(plan('bad name!'), /'bad name!' is not a valid function name/);
    await assert.rejects(plan('host'), /'host' is not a valid function name/);
    await assert.rejects(plan('9lives'), /'9lives' is not a valid function name/);
    assert.equal((await plan('process-order_2')).functions[0]?.name, 'process-order_2');
  });
});
