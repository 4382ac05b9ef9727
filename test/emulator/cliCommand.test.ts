import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';

import { testClient } from '../support/emulator';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.js');

function runEmulator(args: string[]) {
  const child = spawn(process.execPath, [MAIN, 'emulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => stdout.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    void exited.then((code) => reject(new Error(`exited with ${String(code)}: ${stderr}`)));
  });
  // Only the tests that wait for readiness look at this promise.
  ready.catch(() => undefined);
  return { child, stdout, ready, exited, stderr: () => stderr };
}

describe('sbworker emulator command', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('prints one ready line with a working connection string and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sbworker-cli-'));
    dirs.push(dir);
    const config = join(dir, 'Config.json');
    await writeFile(
      config,
      JSON.stringify({
        UserConfig: {
          Namespaces: [{ Name: 'sbemulatorns', Queues: [{ Name: 'cli-queue', Properties: {} }], Topics: [] }],
          Logging: { Type: 'Console' },
        },
      }),
    );

    const run = runEmulator(['--port', '0', '--config', config, '--data-dir', join(dir, 'data')]);
    const line = await run.ready;
    const match = /(Endpoint=sb:\/\/localhost:(\d+);SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;)/.exec(line);
    assert.ok(match, line);

    const client = testClient(match[1]!.replace('localhost', '127.0.0.1'));
    await client.createSender('cli-queue').sendMessages({ body: 'via cli' });
    const [message] = await client.createReceiver('cli-queue', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(message?.body, 'via cli');
    await client.close();

    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
    assert.equal(run.stdout.length, 1);
    assert.ok(!run.stderr().includes('SAS_KEY_VALUE'));
  });

  it('refuses an invalid config before listening', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sbworker-cli-'));
    dirs.push(dir);
    const config = join(dir, 'Config.json');
    await writeFile(
      config,
      JSON.stringify({
        UserConfig: {
          Namespaces: [{ Name: 'sbemulatorns', Queues: [{ Name: 'bad', Properties: { MaxDeliveryCount: 0 } }], Topics: [] }],
          Logging: { Type: 'Console' },
        },
      }),
    );
    const run = runEmulator(['--port', '0', '--config', config]);
    const code = await run.exited;
    assert.notEqual(code, 0);
    assert.equal(run.stdout.length, 0);
    assert.match(run.stderr(), /bad/);
    assert.match(run.stderr(), /MaxDeliveryCount/);
  });
});
