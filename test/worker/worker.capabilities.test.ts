import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { emulatorForSuite } from '../support/emulator';
import { spawnWorker, stopWorkerProcess, waitFor } from './support';
import { indexApp, recordedJson, tempApp } from './tempApp';

// `app.setup({ capabilities })` reaches the host through the worker's capabilities, which the
// Node worker asks the library for once the app has started (worker
// `eventHandlers/getWorkerCapabilities.ts`); that call also ends the library's start-up, so a
// later `app.setup` throws. With `IncludeEmptyEntriesInMessagePayload` set, the host keeps null
// and empty entries of string arrays, a null one as '' (host `GrpcMessageConversionExtensions`
// `ToRpcStringArray`), and the library's try-JSON.parse leaves '' as ''.

const CAPS_APP = indexApp([
  `const { writeFileSync } = require('node:fs');`,
  `const { join } = require('node:path');`,
  `const { app } = require('@azure/functions');`,
  `app.setup({ capabilities: { IncludeEmptyEntriesInMessagePayload: true } });`,
  `app.serviceBusQueue('capsBatch', {`,
  `  connection: 'CapsConnection', queueName: 'caps-batch', cardinality: 'many',`,
  `  dataType: 'string',`,
  `  handler: async (messages, context) => {`,
  `    let lateSetup = 'accepted';`,
  `    try { app.setup({ enableHttpStream: false }); } catch (e) { lateSetup = e.message; }`,
  `    const m = context.triggerMetadata;`,
  `    const seen = { messages, correlationIds: m.correlationIdArray,`,
  `      messageIds: m.messageIdArray, lateSetup };`,
  `    writeFileSync(join(__dirname, 'seen.json'), JSON.stringify(seen));`,
  `  },`,
  `});`,
]);

describe('app.setup capabilities', () => {
  const appDir = tempApp(CAPS_APP);

  const suite = emulatorForSuite({ queues: ['caps-batch'] });

  it('keeps empty entries of batch string arrays aligned, and locks setup', async () => {
    const sender = suite.client.createSender('caps-batch');
    await sender.sendMessages([
      { body: Buffer.from('first'), messageId: 'm1', correlationId: 'c1' },
      { body: Buffer.alloc(0), messageId: 'm2', correlationId: 'c2' },
      { body: Buffer.from('third'), messageId: 'm3' },
    ]);
    await sender.close();

    const worker = spawnWorker(appDir, { CapsConnection: suite.emulator.connectionString });
    try {
      const seen = await waitFor(
        'the batch invocation',
        () => recordedJson(appDir, 'seen'),
        15_000,
      );
      assert.deepEqual(seen, {
        messages: ['first', '', 'third'],
        correlationIds: ['c1', 'c2', ''],
        messageIds: ['m1', 'm2', 'm3'],
        lateSetup: "Setup options can't be changed after app startup has finished.",
      });
    } finally {
      await stopWorkerProcess(worker);
    }
  });
});
