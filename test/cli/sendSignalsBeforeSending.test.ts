import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { cliEmulatorFor } from './cliEmulator';
import { drain } from './deadLetters';
import { emptyFolder, spawnCli } from './runCli';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A named pipe: the CLI's read of it lasts until the test has written it and closed it. */
function namedPipe(name: string): string {
  const path = join(emptyFolder(), name);
  execFileSync('mkfifo', [path]);
  return path;
}

/**
 * Runs the CLI on an input that is a named pipe and sends `signal` while the CLI is reading
 * it (the pipe is open at both ends, nothing written yet); then writes `content` and closes it.
 */
async function signalWhileReading(
  args: string[],
  pipe: string,
  content: string,
  signal: NodeJS.Signals,
): Promise<Finished> {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Finished>((done) =>
    child.on('exit', (code) => done({ code, stdout, stderr })),
  );

  // The open returns once the CLI has opened the pipe to read it: it is reading the input.
  const writer = await Promise.race([open(pipe, 'w'), exited]);
  if (!('writeFile' in writer)) assert.fail(`exited before reading: ${JSON.stringify(writer)}`);
  child.kill(signal);
  await writer.writeFile(content);
  await writer.close();
  return exited;
}

describe('sbworker send stopped by a signal before sending', () => {
  const fx = cliEmulatorFor({ queues: ['sb-file', 'sb-csv'] });
  const send = (queue: string, ...more: string[]) => [
    ...['send', queue, ...more],
    ...['--connection-string', fx.emulator.connectionString],
  ];

  it('on Ctrl+C while the --file is read says nothing was sent, exit 130', async () => {
    const pipe = namedPipe('letters.jsonl');
    const lines = '{"messageId":"a","body":1}\n{"messageId":"b","body":2}\n';

    const finished = await signalWhileReading(
      send('sb-file', '--file', pipe, '--json'),
      pipe,
      lines,
      'SIGINT',
    );

    assert.equal(finished.code, 130, finished.stderr);
    assert.equal(finished.stderr, 'SIGINT: stopped before sending: nothing was sent\n');
    // README: the JSON summary is printed once sending began; it had not.
    assert.equal(finished.stdout, '');
    assert.deepEqual(await drain(fx.client, 'sb-file'), []);
  });

  it('on SIGTERM while the --csv is read says nothing was sent, exit 143', async () => {
    const pipe = namedPipe('orders.csv');
    const csv =
      'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\n' +
      '536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850,France\r\n';

    const finished = await signalWhileReading(send('sb-csv', '--csv', pipe), pipe, csv, 'SIGTERM');

    assert.equal(finished.code, 143, finished.stderr);
    assert.equal(finished.stderr, 'SIGTERM: stopped before sending: nothing was sent\n');
    assert.equal(finished.stdout, '');
    assert.deepEqual(await drain(fx.client, 'sb-csv'), []);
  });
});
