import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { cliEmulatorFor } from './cliEmulator';
import { drain } from './deadLetters';
import { emptyFolder } from './runCli';

const CSV_HEADER =
  'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';

/** small.jsonl with messages on lines 1 and 3 (line 2 is blank). */
function smallFile(): string {
  const file = join(emptyFolder(), 'small.jsonl');
  writeFileSync(file, '{"messageId":"m-1","body":1}\n\n{"messageId":"m-3","body":3}\n');
  return file;
}

/** An order CSV of two one-line invoices, 536365 and 536366. */
function twoOrders(): string {
  const rows = ['536365', '536366'].map(
    (id) => `${id},85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850,France`,
  );
  const file = join(emptyFolder(), 'big.csv');
  writeFileSync(file, [CSV_HEADER, ...rows].join('\r\n') + '\r\n');
  return file;
}

describe('sbworker send --from-line and --from-order', () => {
  const fx = cliEmulatorFor({ queues: ['st-twice', 'st-after', 'st-empty', 'st-both'] });

  it('refuses a --from-line or --from-order given twice as a usage error naming it', async () => {
    const cases = [
      ['--file', smallFile(), '--from-line', '3', '--from-line', '1'],
      ['--csv', twoOrders(), '--from-order', '536366', '--from-order', '536365'],
    ];

    for (const args of cases) {
      const result = await fx.cli(['send', 'st-twice', ...args]);

      const flag = args[2] as string;
      assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^error: ${flag} is given more than once`, 'm'));
    }
    assert.deepEqual(await drain(fx.client, 'st-twice'), []);
  });

  it('says where the last message is when --from-line is after it', async () => {
    const file = smallFile();

    const result = await fx.cli(['send', 'st-after', '--file', file, '--from-line', '4']);

    // The file has messages: the refusal says the start is past them, not that there are none.
    assert.equal(result.exitCode, 1, result.stderr);
    assert.equal(
      result.stderr,
      `sbworker: InvalidInput: ${file}: no message on line 4 or after it` +
        ' (the last is on line 3)\n',
    );
    assert.deepEqual(await drain(fx.client, 'st-after'), []);
  });

  it('refuses an empty --from-order as a usage error', async () => {
    for (const order of ['', ' ']) {
      const result = await fx.cli([
        'send',
        'st-empty',
        '--csv',
        twoOrders(),
        '--from-order',
        order,
      ]);

      assert.equal(result.exitCode, 2, `"${order}": ${result.stderr}`);
      assert.match(result.stderr, /^error: --from-order takes the order id /m);
    }
    assert.deepEqual(await drain(fx.client, 'st-empty'), []);
  });

  it('refuses --from-order with --file even when --from-line is given too', async () => {
    const args = ['--file', smallFile(), '--from-line', '3', '--from-order', '536365'];

    const result = await fx.cli(['send', 'st-both', ...args]);

    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stderr, /^error: --from-order goes with --csv$/m);
    assert.deepEqual(await drain(fx.client, 'st-both'), []);
  });
});
