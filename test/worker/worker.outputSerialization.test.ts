import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { emulatorForSuite, receiveUntilEmpty } from '../support/emulator';
import { spawnWorker, stopWorkerProcess } from './support';
import { tempApp } from './tempApp';

// An output value the library cannot turn into JSON (a BigInt, a circular object) fails the
// invocation, as in the Node worker. The failure line carries a code, says a retry does not
// help (the same handler returns the same value) and names the output, like the other lines.

const OUTPUT_APP = {
  'package.json': JSON.stringify({ main: 'index.js' }),
  'host.json': JSON.stringify({ version: '2.0' }),
  'index.js': [
    `const { app, output } = require('@azure/functions');`,
    `const out = (name) => output.serviceBusQueue(`,
    `  { name, connection: 'OsConnection', queueName: 'os-out' });`,
    `const shipment = out('shipment');`,
    `app.serviceBusQueue('bigReturn', { connection: 'OsConnection', queueName: 'os-big',`,
    `  return: out(undefined), handler: async () => ({ total: 10n }) });`,
    `app.serviceBusQueue('circularExtra', { connection: 'OsConnection', queueName: 'os-circ',`,
    `  extraOutputs: [out('audit'), shipment], handler: async (body, context) => {`,
    `    const loop = { body }; loop.self = loop;`,
    `    context.extraOutputs.set('audit', 'fine');`,
    `    context.extraOutputs.set(shipment, loop);`,
    `  } });`,
    `app.serviceBusQueue('listReturn', { connection: 'OsConnection', queueName: 'os-list',`,
    `  return: output.serviceBusQueue({ connection: 'OsConnection', queueName: 'os-items' }),`,
    `  handler: async () => [{ n: 1 }, 'two'] });`,
  ].join('\n'),
};

describe('Service Bus output values', () => {
  const appDir = tempApp(OUTPUT_APP);

  const suite = emulatorForSuite({
    queues: ['os-big', 'os-circ', 'os-out', 'os-list', 'os-items'].map((name) => ({
      name,
      maxDeliveryCount: 1,
    })),
  });

  it('fails the invocation with a code, not retryable, naming the output', async () => {
    const worker = spawnWorker(appDir, { OsConnection: suite.emulator.connectionString });
    try {
      for (const queue of ['os-big', 'os-circ']) {
        const sender = suite.client.createSender(queue);
        await sender.sendMessages({ body: 'x', messageId: `${queue}-1` });
        await sender.close();
      }

      const expected: Array<[string, string]> = [
        ['bigReturn', 'the value of output $return cannot be converted to JSON: '],
        ['circularExtra', 'the value of output shipment cannot be converted to JSON: '],
      ];
      for (const [name, prefix] of expected) {
        const line = await worker.waitForLine(
          name,
          (l) => l.function === name && l.outcome === 'failed',
          15_000,
        );
        assert.equal(line.errorCode, 'OutputNotSerializable');
        assert.equal(line.retryable, false);
        assert.ok(String(line.error).startsWith(prefix), String(line.error));
        assert.ok(!String(line.error).includes('\n'), 'one line');
      }
    } finally {
      await stopWorkerProcess(worker);
    }
  });

  // README: a JSON array output sends one message per element, each element's own body.
  it('sends a JSON array as one message per element', async () => {
    const worker = spawnWorker(appDir, { OsConnection: suite.emulator.connectionString });
    try {
      const sender = suite.client.createSender('os-list');
      await sender.sendMessages({ body: 'x', messageId: 'os-list-1' });
      await sender.close();
      await worker.waitForLine(
        'listReturn',
        (l) => l.function === 'listReturn' && l.outcome === 'succeeded',
        15_000,
      );

      // Unparsed, the bodies are the bytes the worker sent.
      const receiver = suite.client.createReceiver('os-items', {
        receiveMode: 'receiveAndDelete',
        skipParsingBodyAsJson: true,
      });
      const bodies = (await receiveUntilEmpty(receiver)).map((m) =>
        Buffer.from(m.body as Uint8Array).toString('utf8'),
      );
      assert.deepEqual(bodies, ['{"n":1}', 'two']);
    } finally {
      await stopWorkerProcess(worker);
    }
  });
});
