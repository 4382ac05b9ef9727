import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';
import Long from 'long';

import { loadApp } from '../../src/worker/appLoader';
import { planFunctions } from '../../src/worker/functionPlan';
import { loadHostSettings } from '../../src/worker/hostSettings';
import { emulatorForSuite, testClient } from '../support/emulator';
import { REPO_ROOT, spawnWorker, stopWorkerProcess, waitFor } from './support';
import { indexApp, recordedJson, tempApp } from './tempApp';

// A trigger on a dead-letter queue, the way Functions apps process dead letters: the host hands
// the trigger's path to its client, so `<queue>/$DeadLetterQueue`, the transfer dead-letter
// queue `<queue>/$Transfer/$DeadLetterQueue` and a subscription's `<name>/$DeadLetterQueue`
// (any case; the Service Bus docs write `$deadletterqueue`) receive the letters. Embedded mode
// makes the queue or subscription itself, whose dead-letter queue comes with it.

/** A function per sub-queue path; each handler records the letter it got under its name. */
function letterFunction(name: string, trigger: string): string[] {
  return [
    `app.serviceBusQueue(${JSON.stringify(name)}, { connection: 'DlConnection', ${trigger},`,
    `  handler: async (body, context) => record(${JSON.stringify(name)}, {`,
    `    messageId: context.triggerMetadata.messageId,`,
    `    deliveryCount: context.triggerMetadata.deliveryCount,`,
    `    reason: context.triggerMetadata.applicationProperties.deadLetterReason }) });`,
  ];
}

/** An app's first lines: the library, and `record(name, value)` that writes `<name>.json`. */
const RECORDING_PREAMBLE = [
  `const { writeFileSync } = require('node:fs');`,
  `const { join } = require('node:path');`,
  `const { app } = require('@azure/functions');`,
  `const record = (name, value) =>`,
  `  writeFileSync(join(__dirname, name + '.json'), JSON.stringify(value));`,
];

const LETTERS_APP = indexApp([
  ...RECORDING_PREAMBLE,
  ...letterFunction('queueLetters', `queueName: 'dl-q/$deadletterqueue'`),
  ...letterFunction('transferLetters', `queueName: 'dl-tq/$Transfer/$DeadLetterQueue'`),
  ...letterFunction(
    'subscriptionLetters',
    `topicName: 'dl-t', subscriptionName: 'dl-s/$DeadLetterQueue'`,
  ).map((line) => line.replace('serviceBusQueue', 'serviceBusTopic')),
]);

const LETTERS_APP_DIR = tempApp(LETTERS_APP);
const EMBEDDED_APP_DIR = tempApp(
  indexApp([
    ...RECORDING_PREAMBLE,
    ...letterFunction('queueLetters', `queueName: 'em-q/$DeadLetterQueue'`),
  ]),
);

type LetterTarget = { queue: string } | { topic: string; subscription: string };

/** Sends one message and dead-letters it with a reason, as an operator or a handler would. */
async function deadLetter(
  client: ServiceBusClient,
  messageId: string,
  target: LetterTarget,
): Promise<void> {
  const sender = client.createSender('queue' in target ? target.queue : target.topic);
  await sender.sendMessages({ body: 'letter', messageId });
  await sender.close();

  const receiver =
    'queue' in target
      ? client.createReceiver(target.queue)
      : client.createReceiver(target.topic, target.subscription);
  const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  assert.ok(message !== undefined, `${messageId} was received to be dead-lettered`);
  await receiver.deadLetterMessage(message, {
    deadLetterReason: 'checked by hand',
    deadLetterErrorDescription: 'a test letter',
  });
  await receiver.close();
}

describe('triggers on dead-letter queues', () => {
  const appDir = LETTERS_APP_DIR;

  const suite = emulatorForSuite({
    queues: ['dl-q', 'dl-tq'],
    topics: [{ name: 'dl-t', subscriptions: ['dl-s'] }],
  });

  it('pass --check, naming the sub-queue each function reads', () => {
    const cli = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
    const result = spawnSync(process.execPath, [cli, 'worker', '--app', appDir, '--check'], {
      env: { PATH: process.env.PATH, DlConnection: suite.emulator.connectionString },
      encoding: 'utf8',
    });

    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { functions: Array<Record<string, unknown>> };
    assert.deepEqual(
      report.functions.map((fn) => [fn.name, fn.entity]),
      [
        ['queueLetters', 'dl-q/$DeadLetterQueue'],
        ['transferLetters', 'dl-tq/$Transfer/$DeadLetterQueue'],
        ['subscriptionLetters', 'dl-t/Subscriptions/dl-s/$DeadLetterQueue'],
      ],
    );
  });

  it('receive the letters of a queue, a transfer path, a subscription; complete them', async () => {
    await deadLetter(suite.client, 'letter-q', { queue: 'dl-q' });
    await deadLetter(suite.client, 'letter-tq', { queue: 'dl-tq' });
    await deadLetter(suite.client, 'letter-s', { topic: 'dl-t', subscription: 'dl-s' });

    const worker = spawnWorker(appDir, { DlConnection: suite.emulator.connectionString });
    try {
      const expected: Array<[string, string]> = [
        ['queueLetters', 'letter-q'],
        ['transferLetters', 'letter-tq'],
        ['subscriptionLetters', 'letter-s'],
      ];
      for (const [name, messageId] of expected) {
        const seen = await waitFor(name, () => recordedJson(appDir, name), 15_000);
        assert.deepEqual(seen, { messageId, deliveryCount: 1, reason: 'checked by hand' }, name);
      }

      // Completed by the worker, as any message its function handled.
      for (const target of [
        { queue: 'dl-q' },
        { queue: 'dl-tq' },
        { topic: 'dl-t', subscription: 'dl-s' },
      ]) {
        await waitForEmpty(suite.client, target);
      }
    } finally {
      await stopWorkerProcess(worker);
    }
  });
});

async function waitForEmpty(client: ServiceBusClient, target: LetterTarget): Promise<void> {
  const options = { subQueueType: 'deadLetter' as const };
  const receiver =
    'queue' in target
      ? client.createReceiver(target.queue, options)
      : client.createReceiver(target.topic, target.subscription, options);
  try {
    const deadline = Date.now() + 10_000;
    while ((await receiver.peekMessages(1, { fromSequenceNumber: Long.ZERO })).length > 0) {
      if (Date.now() > deadline) assert.fail(`letters left in ${JSON.stringify(target)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await receiver.close();
  }
}

describe('a dead-letter trigger in embedded mode', () => {
  const appDir = EMBEDDED_APP_DIR;

  it('makes the queue itself, whose dead-letter queue the function then reads', async () => {
    const worker = spawnWorker(appDir, {}, ['--emulator-port', '0']);
    let client: ServiceBusClient | undefined;
    try {
      const line = await worker.waitForLine('the embedded-mode line', (l) =>
        String(l.msg).includes('started the embedded emulator'),
      );
      assert.deepEqual(line.entities, ['em-q']);
      const connectionString = /Connection string: (\S+)/.exec(String(line.msg))?.[1] ?? '';
      client = testClient(connectionString);

      await deadLetter(client, 'letter-em', { queue: 'em-q' });

      const seen = await waitFor(
        'queueLetters',
        () => recordedJson(appDir, 'queueLetters'),
        15_000,
      );
      assert.deepEqual(seen, {
        messageId: 'letter-em',
        deliveryCount: 1,
        reason: 'checked by hand',
      });
    } finally {
      await client?.close();
      await stopWorkerProcess(worker);
    }
  });
});

describe('dead-letter paths in the function plan', () => {
  const plan = async (trigger: string, output = '') => {
    const appDir = tempApp(
      indexApp([
        `const { app, output } = require('@azure/functions');`,
        `app.serviceBusQueue('letters', { connection: 'DlConnection', ${trigger},`,
        output === '' ? '' : `  return: output.serviceBusQueue({ queueName: '${output}' }),`,
        `  handler: async () => {} });`,
      ]),
    );
    const app = await loadApp(appDir, () => undefined);
    return planFunctions(app.registry, loadHostSettings(appDir, {}).serviceBus, {});
  };

  it('read the entity and its sub-queue from the name, in any case', async () => {
    const cases: Array<[string, unknown]> = [
      [
        `queueName: 'q/$DEADLETTERQUEUE'`,
        { kind: 'queue', queueName: 'q', subQueue: 'deadLetter' },
      ],
      [
        `queueName: 'a/b/$transfer/$deadletterqueue'`,
        { kind: 'queue', queueName: 'a/b', subQueue: 'transferDeadLetter' },
      ],
      [
        `topicName: 't', subscriptionName: 's/$DeadLetterQueue'`,
        { kind: 'subscription', topicName: 't', subscriptionName: 's', subQueue: 'deadLetter' },
      ],
    ];
    for (const [trigger, entity] of cases) {
      const [fn] = (await plan(trigger)).functions;
      assert.deepEqual(fn?.entity, entity, trigger);
    }
  });

  it('refuse a sub-queue alone, another $ path, and a dead-letter queue as an output', async () => {
    await assert.rejects(plan(`queueName: '$DeadLetterQueue'`), /is not a valid Service Bus/);
    await assert.rejects(plan(`queueName: 'q/$Transfer'`), /is not a valid Service Bus entity/);
    await assert.rejects(
      plan(`topicName: 't', subscriptionName: '/$DeadLetterQueue'`),
      /subscriptionName "\/\$DeadLetterQueue" is not a valid subscription name/,
    );
    await assert.rejects(
      plan(`queueName: 'q'`, 'q/$DeadLetterQueue'),
      /output \$return "q\/\$DeadLetterQueue" is not a valid Service Bus entity name/,
    );
    // Trial BE: this passed --check and then failed at every receive, advising the entity's
    // RequiresSession, which the parent queue may well have.
    for (const trigger of [
      `queueName: 'sq/$DeadLetterQueue', isSessionsEnabled: true`,
      `topicName: 't', subscriptionName: 's/$DeadLetterQueue', isSessionsEnabled: true`,
    ]) {
      await assert.rejects(
        plan(trigger),
        /isSessionsEnabled true on a dead-letter queue .* remove isSessionsEnabled/,
        trigger,
      );
    }
  });
});
