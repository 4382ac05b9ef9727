import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';

import { loadApp } from '../../src/worker/appLoader';
import { expandEntryPattern } from '../../src/worker/entryGlob';
import { planFunctions } from '../../src/worker/functionPlan';
import { loadHostSettings } from '../../src/worker/hostSettings';
import { PROBE_APP, REPO_ROOT, SESSIONS_APP } from './support';
import { tempApp } from './tempApp';

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

describe('loadApp errors in the app code', () => {
  const failure = async (files: Record<string, string>) => {
    const error = await loadApp(tempApp(files), () => undefined).then(
      () => assert.fail('the app loaded'),
      (e: unknown) => e as Error & { code?: string; retryable?: boolean },
    );
    assert.equal(error.code, 'AppLoadFailed');
    assert.equal(error.retryable, false);
    return error.message;
  };
  // The column is where V8 puts its caret: the second '=' is the 11th character.
  const BAD_SYNTAX = 'const a = 1;\nconst x = = 1;\n';

  it('give a CommonJS syntax error its own code, the file, line and column', async () => {
    const message = await failure({
      'package.json': JSON.stringify({ main: 'dist/functions/*.js' }),
      'dist/functions/b.js': BAD_SYNTAX,
    });

    assert.match(message, /^Loading entry file \S+\/dist\/functions\/b\.js failed: /);
    assert.match(
      message,
      / failed: SyntaxError: Unexpected token '=' \(at dist\/functions\/b\.js:2:11\)$/,
    );
  });

  it('name the file required by the entry file when the syntax error is there', async () => {
    const message = await failure({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'index.js': "require('./lib/helper');\n",
      'lib/helper.js': BAD_SYNTAX,
    });

    assert.match(message, /\(at lib\/helper\.js:2:11\)$/);
  });

  it('give an ES module syntax error the line and column too', async () => {
    const message = await failure({
      'package.json': JSON.stringify({ main: 'esm.mjs' }),
      'esm.mjs': BAD_SYNTAX,
    });

    assert.match(message, /failed: SyntaxError: Unexpected token '=' \(at esm\.mjs:2:11\)$/);
  });

  it('say when an ES module syntax error is in a module that the entry imports', async () => {
    const message = await failure({
      'package.json': JSON.stringify({ main: 'esm.mjs', type: 'module' }),
      'esm.mjs': "import './other.js';\n",
      'other.js': BAD_SYNTAX,
    });

    assert.match(message, /SyntaxError: .* \(in a module that the entry file imports\)$/);
  });

  it('give an ES module import of a missing export its position', async () => {
    const message = await failure({
      'package.json': JSON.stringify({ main: 'esm.mjs' }),
      'esm.mjs': "import { missing } from './dep.mjs';\n",
      'dep.mjs': 'export const present = 1;\n',
    });

    assert.match(message, /does not provide an export named 'missing' \(at esm\.mjs:1:10\)$/);
  });

  it("show the app's innermost frames for an error thrown while loading", async () => {
    const thrower = 'function f() {\n  throw new TypeError("bad at load");\n}\nf();\n';
    const cjs = await failure({ 'package.json': '{"main": "a.js"}', 'a.js': thrower });
    const esm = await failure({ 'package.json': '{"main": "a.mjs"}', 'a.mjs': thrower });

    assert.match(
      cjs,
      /a\.js failed: TypeError: bad at load \(at a\.js:2:9 in f, from a\.js:4:1\)$/,
    );
    assert.match(
      esm,
      /a\.mjs failed: TypeError: bad at load \(at a\.mjs:2:9 in f, from a\.mjs:4:1\)$/,
    );
  });

  it("leave out frames in the app's dependencies", async () => {
    const message = await failure({
      'package.json': '{"main": "index.js"}',
      'index.js': "\nrequire('broken-lib');\n",
      'node_modules/broken-lib/index.js': 'throw new Error("lib failed");\n',
    });

    assert.match(message, /failed: lib failed \(at index\.js:2:1\)$/);
  });

  it('keep the code of an AppError the app throws on purpose', async () => {
    const errors = join(REPO_ROOT, 'dist', 'src', 'shared', 'errors.js');
    const dir = tempApp({
      'package.json': '{"main": "index.js"}',
      'index.js':
        `const { ConfigError } = require(${JSON.stringify(errors)});\n` +
        'throw new ConfigError("setting X must be a number");\n',
    });

    await assert.rejects(
      loadApp(dir, () => undefined),
      (error: Error & { code?: string }) =>
        error.code === 'InvalidConfiguration' &&
        /index\.js failed: setting X must be a number$/.test(error.message),
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

  it('expands character classes as globby does: [ab], ranges and negation', () => {
    const dir = tempApp({ 'src/a.js': '', 'src/b.js': '', 'src/c.js': '', 'src/.a.js': '' });

    assert.deepEqual(expandEntryPattern(dir, 'src/[ab].js'), ['src/a.js', 'src/b.js']);
    assert.deepEqual(expandEntryPattern(dir, 'src/[b-z].js'), ['src/b.js', 'src/c.js']);
    assert.deepEqual(expandEntryPattern(dir, 'src/[!a].js'), ['src/b.js', 'src/c.js']);
    assert.deepEqual(expandEntryPattern(dir, 'src/[^ab].js'), ['src/c.js']);
    // A reversed range is no class at all: it matches nothing rather than stop start-up.
    assert.deepEqual(expandEntryPattern(dir, 'src/[z-a].js'), []);
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
      new RegExp(
        `function 'probeQueue': queueName "%PROBE_QUEUE%" \\(resolved to "bad queue name"\\) ` +
          'is not a valid Service Bus entity name',
      ),
    );
    assert.throws(plan({ PROBE_TOPIC: 'orders/' }), /topicName .*"orders\/"\) is not a valid/);
    assert.throws(plan({ PROBE_OUT: '-out' }), /output \$return .*"-out"\) is not a valid/);
    assert.throws(plan({ PROBE_QUEUE: 'vt/Subscriptions/vs' }), /no "Subscriptions" segment/);
    assert.doesNotThrow(plan({ PROBE_QUEUE: 'shop/orders_v2.eu-1' }));
  });

  // Trial AE: a %SETTING% that names the connection setting by mistake put its key in the
  // error, on stderr and in the JSON start-up failure line.
  it('never shows a connection string that a %SETTING% resolved to', async () => {
    const app = await loadApp(PROBE_APP, () => undefined);
    const host = loadHostSettings(PROBE_APP, {});
    const secret =
      'Endpoint=sb://h.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=S3CR3T=';

    assert.throws(
      () =>
        planFunctions(app.registry, host.serviceBus, { ...PROBE_SETTINGS, PROBE_QUEUE: secret }),
      (error: Error) =>
        /queueName "%PROBE_QUEUE%" \(a connection string, not shown\)/.test(error.message) &&
        !error.message.includes('S3CR3T'),
    );
  });

  // Trial AE: a connection string pasted into `connection` was taken for a setting's name,
  // printed by --check and in errors, and locally replaced by the embedded emulator.
  it('refuses a connection string in a binding connection, without showing it', async () => {
    const secret =
      'Endpoint=sb://h.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=S3CR3T=';
    const dir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'index.js':
        `require('@azure/functions').app.serviceBusQueue('pasted', ` +
        `{ connection: ${JSON.stringify(secret)}, queueName: 'q', handler: async () => {} });\n`,
    });
    const app = await loadApp(dir, () => undefined);

    assert.throws(
      () => planFunctions(app.registry, loadHostSettings(dir, {}).serviceBus, {}),
      (error: Error) =>
        /function 'pasted': connection holds a connection string \(not shown\)/.test(
          error.message,
        ) && !error.message.includes('S3CR3T'),
    );
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
