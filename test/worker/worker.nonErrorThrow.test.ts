import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { emulatorForSuite } from '../support/emulator';
import { spawnWorker, stopWorkerProcess } from './support';
import { tempApp } from './tempApp';

// A handler that throws something other than an Error fails its invocation, as in the Node
// worker. A thrown text is the author's error message and is shown as the Node worker shows it
// (its ensureErrorType makes it the Error's message); for any other value the invocation line
// says what kind of value it was, never the value: an app may throw the very body it was
// handed.

const REASON = 'order rejected: no stock';

const SECRET = 'body-secret-5e8a';

const NAMES = ['anArray', 'aString', 'aRejection', 'anObject', 'theBody', 'inText', 'aLongText'];

const THROWING_APP = {
  'package.json': JSON.stringify({ main: 'index.js' }),
  'host.json': JSON.stringify({ version: '2.0' }),
  'index.js': [
    `const { app } = require('@azure/functions');`,
    `const queue = (name, handler) => app.serviceBusQueue(name,`,
    `  { connection: 'NeConnection', queueName: 'ne-' + name, handler });`,
    `queue('anArray', async (body) => { throw [body]; });`,
    `queue('aString', async () => { throw ${JSON.stringify(REASON)}; });`,
    `queue('aRejection', () => Promise.reject(${JSON.stringify(REASON)}));`,
    `queue('anObject', async (body) => { throw { reason: body, [body + '@example.com']: 1 }; });`,
    `queue('theBody', async (body) => { throw body; });`,
    `queue('inText', async (body) => { throw 'could not parse ' + body; });`,
    `queue('aLongText', async () => { throw 'y'.repeat(600); });`,
  ].join('\n'),
};

describe('a handler that throws a value that is not an Error', () => {
  const appDir = tempApp(THROWING_APP);

  const suite = emulatorForSuite({
    queues: NAMES.map((name) => ({ name: `ne-${name}`, maxDeliveryCount: 1 })),
  });

  it('fails the invocation; shows a thrown text, describes bodies and other values', async () => {
    const worker = spawnWorker(appDir, { NeConnection: suite.emulator.connectionString });
    try {
      for (const name of NAMES) {
        const sender = suite.client.createSender(`ne-${name}`);
        await sender.sendMessages({ body: SECRET, messageId: `${name}-1` });
        await sender.close();
      }

      const lineOf = (name: string) =>
        worker.waitForLine(name, (l) => l.function === name && l.outcome === 'failed', 15_000);
      const nonError = 'the function threw a non-error value: ';
      const expected: Array<[string, string]> = [
        ['anArray', `${nonError}an array of 1 item`],
        ['aString', REASON],
        ['aRejection', REASON],
        ['anObject', `${nonError}an object with keys "reason" and 1 other key`],
        // The body thrown back, alone or inside a text, is described, never shown.
        ['theBody', `${nonError}a string of ${SECRET.length} characters`],
        ['inText', `${nonError}a string of ${16 + SECRET.length} characters`],
        ['aLongText', `${'y'.repeat(500)}… (600 characters in all)`],
      ];
      for (const [name, error] of expected) {
        const line = await lineOf(name);
        assert.equal(line.errorCode, 'FunctionFailed');
        assert.equal(line.error, error);
      }
      await stopWorkerProcess(worker);
      assert.ok(!worker.stdout().includes(SECRET), 'the body is not in the log');
      assert.ok(!worker.stderr().includes(SECRET), 'nor on stderr');
    } finally {
      await stopWorkerProcess(worker);
    }
  });
});
