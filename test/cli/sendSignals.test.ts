import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { ChildProcess } from 'node:child_process';

import { cliEmulatorFor } from './cliEmulator';
import { drain } from './deadLetters';
import { emptyFolder, spawnCli } from './runCli';

const LINES = 30_000;
const ORDERS = 20_000;

/** A --file of small messages, many batches long; message ids are `<prefix>-<line>`. */
function manyLines(prefix: string): string {
  const lines = Array.from({ length: LINES }, (_, index) =>
    JSON.stringify({ messageId: `${prefix}-${index + 1}`, bodyEncoding: 'text', body: 'x' }),
  );
  const file = join(emptyFolder(), `${prefix}.jsonl`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** An order CSV of one-line invoices, many batches long; invoice numbers from 600001. */
function manyOrders(): { file: string; ids: string[] } {
  const ids = Array.from({ length: ORDERS }, (_, index) => String(600_001 + index));
  const rows = ids.map(
    (id) => `${id},85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850,France`,
  );
  const header =
    'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
  const file = join(emptyFolder(), 'orders.csv');
  writeFileSync(file, [header, ...rows].join('\r\n') + '\r\n');
  return { file, ids };
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI; `onFirstProgress` runs once, when stderr shows its first `sent N/M` line (the
 * sending has begun).
 */
function run(args: string[], onFirstProgress: (child: ChildProcess) => void) {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  let progressed = false;
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (progressed || !/^sent \d+\//m.test(stderr)) return;
    progressed = true;
    onFirstProgress(child);
  });
  return new Promise<Finished>((done) =>
    child.on('exit', (code) => done({ code, stdout, stderr })),
  );
}

describe('sbworker send stopped by a signal', () => {
  const fx = cliEmulatorFor({ queues: ['sg-int', 'sg-term', 'sg-twice', 'sg-csv'] });
  const send = (queue: string, file: string, ...more: string[]) => [
    ...['send', queue, '--file', file, ...more],
    ...['--connection-string', fx.emulator.connectionString],
  ];
  const sendCsv = (queue: string, file: string, ...more: string[]) =>
    send(queue, file, ...more).map((arg) => (arg === '--file' ? '--csv' : arg));

  it('on Ctrl+C stops after the batch in flight and says exactly how far it got', async () => {
    const file = manyLines('int');
    const finished = await run(send('sg-int', file, '--json'), (child) => {
      child.kill('SIGINT');
    });

    const arrived = (await drain(fx.client, 'sg-int')).map((message) => message.messageId);
    assert.equal(finished.code, 130, finished.stderr);
    const summary = JSON.parse(finished.stdout) as Record<string, unknown>;
    assert.equal(summary.outcome, 'interrupted');
    assert.equal(summary.signal, 'SIGINT');
    assert.equal(summary.total, LINES);
    assert.equal(summary.sent, arrived.length);
    assert.ok(arrived.length > 0 && arrived.length < LINES, `${arrived.length} arrived`);
    // The first lines arrived, in order; the next line is where to go on.
    const expected = Array.from({ length: arrived.length }, (_, index) => `int-${index + 1}`);
    assert.deepEqual(arrived, expected);
    assert.equal(summary.resumeLine, arrived.length + 1);
    assert.equal(summary.resumeAt, `${file} line ${arrived.length + 1}`);
  });

  it('on SIGTERM prints the text summary with the count sent, exit 143', async () => {
    const file = manyLines('term');
    const finished = await run(send('sg-term', file), (child) => {
      child.kill('SIGTERM');
    });

    const arrived = await drain(fx.client, 'sg-term');
    assert.equal(finished.code, 143, finished.stderr);
    assert.equal(
      finished.stdout,
      `interrupted by SIGTERM: sent ${arrived.length} of ${LINES} message(s) to sg-term in` +
        ` ${finished.stdout.match(/in (\d+) batch/)?.[1]} batch(es)` +
        ` (sb://localhost:${fx.emulator.port}); the rest were not sent; the first not sent is` +
        ` ${file} line ${arrived.length + 1} (go on with --from-line ${arrived.length + 1})\n`,
    );
  });

  it('on a second Ctrl+C exits at once: the batch in flight may have arrived', async () => {
    const file = manyLines('twice');
    const finished = await run(send('sg-twice', file, '--json'), (child) => {
      child.kill('SIGINT');
      // Apart (not merged into one pending signal), yet while the batch is in flight.
      setTimeout(() => child.kill('SIGINT'), 1);
    });

    const arrived = await drain(fx.client, 'sg-twice');
    assert.equal(finished.code, 130, finished.stderr);
    const summary = JSON.parse(finished.stdout) as Record<string, number | string>;
    const sent = Number(summary.sent);
    assert.equal(summary.resumeLine, sent + 1);
    if (summary.outcome === 'interrupted') {
      // The batch in flight was answered before the second signal: a graceful stop after all.
      assert.equal(arrived.length, sent);
      return;
    }
    assert.equal(summary.outcome, 'forced');
    const uncertain = Number(summary.uncertain ?? 0);
    assert.ok(
      arrived.length >= sent && arrived.length <= sent + uncertain,
      `${arrived.length} arrived, ${sent} acknowledged, ${uncertain} in flight`,
    );
    assert.match(finished.stderr, /^SIGINT again: stopped at once: sent \d+ of 30000 /m);
    if (uncertain > 0) {
      assert.match(finished.stderr, /the batch in flight \(\d+ message\(s\)\) may have arrived/);
    }
  });

  it('goes on with the flag an interrupted --csv send names: each order once', async () => {
    const { file, ids } = manyOrders();
    const first = await run(sendCsv('sg-csv', file), (child) => child.kill('SIGINT'));
    assert.equal(first.code, 130, first.stderr);
    const flag = /\(go on with (--from-order) (\d+)\)\n$/.exec(first.stdout);
    assert.ok(flag, first.stdout);
    const sent = Number(/^interrupted by SIGINT: sent (\d+) of /.exec(first.stdout)?.[1]);
    assert.ok(sent > 0 && sent < ORDERS, first.stdout);
    assert.equal(flag[2], ids[sent]);
    assert.match(first.stdout, new RegExp(`the first not sent is order ${flag[2]} in `));

    const second = await run(sendCsv('sg-csv', file, flag[1]!, flag[2]!), () => {});
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`^sent ${ORDERS - sent} message\\(s\\) to sg-csv `));

    const arrived = (await drain(fx.client, 'sg-csv')).map((message) => message.messageId);
    assert.deepEqual(arrived, ids);
  });
});
