import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { tempApp } from '../worker/tempApp';
import { waitFor } from '../worker/support';
import { installCleanups, restartableEmulatorWith, startWorkerProcess } from './harness';
import { readJsonLines, sleep } from './support';

// Trial AB: a broker restart frees the session of an invocation that is still running; the
// function's other receive loop took the session again at once and ran its redelivered
// message beside the first invocation, in the same process. Sessions run one message at a
// time: the second loop holds the session and starts when the first invocation has returned.

installCleanups();

const FIRST_RUN_MS = 6000;

const APP = tempApp({
  'package.json': JSON.stringify({ main: 'index.js' }),
  'host.json': JSON.stringify({
    version: '2.0',
    extensions: { serviceBus: { maxConcurrentSessions: 2 } },
  }),
  'index.js': [
    `const { appendFileSync } = require('node:fs');`,
    `const { app } = require('@azure/functions');`,
    `const record = (event, context) => appendFileSync(process.env.TURN_EFFECTS, JSON.stringify(`,
    `  { event, deliveryCount: context.triggerMetadata.deliveryCount, at: Date.now() }) + '\\n');`,
    `app.serviceBusQueue('turns', { connection: 'TurnConnection', queueName: 'rel-turns',`,
    `  isSessionsEnabled: true, handler: async (message, context) => {`,
    `    record('start', context);`,
    `    if (context.triggerMetadata.deliveryCount === 1)`,
    `      await new Promise((resolve) => setTimeout(resolve, ${FIRST_RUN_MS}));`,
    `    record('end', context);`,
    `  } });`,
  ].join('\n'),
});

interface TurnLine {
  event: 'start' | 'end';
  deliveryCount: number;
  at: number;
}

describe('a session whose invocation runs through a broker restart', () => {
  it('is not run twice at once when the worker takes the session again', async () => {
    const { emulator, start, dataDir } = await restartableEmulatorWith('rel-turns', {
      queues: [{ name: 'rel-turns', requiresSession: true, lockDurationMs: 30_000 }],
    });
    const effects = join(dataDir, 'turns.jsonl');
    const worker = await startWorkerProcess(APP, {
      TurnConnection: emulator.connectionString,
      TURN_EFFECTS: effects,
    });
    const client = testClient(emulator.connectionString);
    await client.createSender('rel-turns').sendMessages({ body: 'r-0', sessionId: 'r' });
    await client.close();
    await waitFor('the first invocation', () => readJsonLines<TurnLine>(effects)[0], 10_000);

    await emulator.kill9();
    await sleep(300);
    await start();
    const lines = await waitFor(
      'the second run to end',
      () => {
        const found = readJsonLines<TurnLine>(effects);
        return found.filter((line) => line.event === 'end').length >= 2 ? found : undefined;
      },
      4 * FIRST_RUN_MS,
    );

    const firstEnd = lines.find((line) => line.event === 'end' && line.deliveryCount === 1);
    const secondStart = lines.filter((line) => line.event === 'start')[1];
    assert.ok(firstEnd && secondStart, JSON.stringify(lines));
    assert.ok(secondStart.at >= firstEnd.at, `overlap: ${JSON.stringify(lines)}`);
    assert.ok(
      worker.lines().some((line) => String(line.msg).startsWith('Session taken again')),
      'says why the session waits',
    );
  });
});
