import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { ServiceBusError } from '@azure/service-bus';

import { batchMayHaveArrived } from '../../src/cli/operator/batchSender';
import { cliEmulatorFor } from './cliEmulator';
import { drain } from './deadLetters';
import { emptyFolder } from './runCli';

// Room for the first batch of about 256 KB, not for the second.
const QUOTA_BYTES = 400 * 1024;

describe('sbworker send that the broker stops part-way', () => {
  const fx = cliEmulatorFor({
    queues: ['ss-full', 'ss-json-full'],
    namespace: { namespaceQuotaBytes: QUOTA_BYTES },
  });

  it('says how many messages went out before the error, then the error', async () => {
    // 300 messages of about 2 KB: three batches of at most 256 KB.
    const lines = Array.from({ length: 300 }, (_, index) =>
      JSON.stringify({ messageId: `full-${index}`, bodyEncoding: 'text', body: 'q'.repeat(2000) }),
    );
    const file = join(emptyFolder(), 'full.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');

    const result = await fx.cli(['send', 'ss-full', '--file', file]);

    const arrived = await drain(fx.client, 'ss-full');
    assert.equal(result.exitCode, 1);
    assert.match(
      result.stdout,
      new RegExp(
        `^stopped by an error: sent ${arrived.length} of 300 message\\(s\\) to ss-full in 1` +
          ` batch\\(es\\) \\(sb://localhost:${fx.emulator.port}\\); the broker refused the` +
          ' batch in hand \\(\\d+ message\\(s\\)\\), so none of it arrived, and the rest' +
          ' were not sent\\n$',
      ),
    );
    assert.ok(arrived.length > 0 && arrived.length < 300, `${arrived.length} arrived`);
    assert.match(result.stderr, /^sbworker: QuotaExceeded: /m);
  });

  it('with --json prints the same counts as one JSON object, then the error', async () => {
    const result = await fx.cli([
      'send',
      'ss-json-full',
      '--file',
      largeLines('json', 300),
      '--json',
    ]);

    const arrived = await drain(fx.client, 'ss-json-full');
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    const { refused, ...summary } = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(summary, {
      outcome: 'stopped',
      entity: 'ss-json-full',
      endpoint: `sb://localhost:${fx.emulator.port}`,
      total: 300,
      sent: arrived.length,
      batches: 1,
    });
    // The failed batch, the second, of about 256 KB of 2 KB messages: the quota refused it.
    assert.ok(typeof refused === 'number' && refused > 100 && refused < 300 - arrived.length);
    assert.match(result.stderr, /^sbworker: QuotaExceeded: /m);
  });
});

describe('whether the batch in hand may have arrived', () => {
  it('says a batch the broker refused did not, and one without an answer may have', () => {
    const refusals = [
      new ServiceBusError('Quota exceeded', 'QuotaExceeded'),
      new ServiceBusError('InvalidOperationError: requires sessions', 'GeneralError'),
      new ServiceBusError('Unauthorized access', 'UnauthorizedAccess'),
    ];
    const noAnswer = [
      new ServiceBusError('timed out', 'ServiceTimeout'),
      new ServiceBusError('connection closed', 'ServiceCommunicationProblem'),
      // After its retries the SDK gives the attempts; a reset connection is the telling one.
      new AggregateError([Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })]),
    ];

    assert.deepEqual(refusals.map(batchMayHaveArrived), [false, false, false]);
    assert.deepEqual(noAnswer.map(batchMayHaveArrived), [true, true, true]);
  });
});

function largeLines(prefix: string, count: number): string {
  const lines = Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      messageId: `${prefix}-${index}`,
      bodyEncoding: 'text',
      body: 'q'.repeat(2000),
    }),
  );
  const file = join(emptyFolder(), `${prefix}.jsonl`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
