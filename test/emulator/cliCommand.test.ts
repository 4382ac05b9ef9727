import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { createAdministrationClient } from '../../src/shared/adminClient';
import { CLI_MAIN, httpPortOf, runEmulator, startedOn } from '../support/cliEmulator';
import { testClient } from '../support/emulator';

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
          Namespaces: [
            { Name: 'sbemulatorns', Queues: [{ Name: 'cli-queue', Properties: {} }], Topics: [] },
          ],
          Logging: { Type: 'Console' },
        },
      }),
    );

    const run = runEmulator(['--port', '0', '--config', config, '--data-dir', join(dir, 'data')]);
    const line = await run.ready;
    const match = new RegExp(
      '(Endpoint=sb://localhost:(\\d+);SharedAccessKeyName=RootManageSharedAccessKey;' +
        'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;)',
    ).exec(line);
    assert.ok(match, line);
    const api = /\(management API on http:\/\/localhost:(\d+)\)$/.exec(line);
    assert.ok(api, line);
    assert.equal(Number(api[1]), await httpPortOf(run));

    const client = testClient(match[1]!.replace('localhost', '127.0.0.1'));
    await client.createSender('cli-queue').sendMessages({ body: 'via cli' });
    const [message] = await client
      .createReceiver('cli-queue', { receiveMode: 'receiveAndDelete' })
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
          Namespaces: [
            {
              Name: 'sbemulatorns',
              Queues: [{ Name: 'bad', Properties: { MaxDeliveryCount: 0 } }],
              Topics: [],
            },
          ],
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

  it('names the type, never the value, of a policy key written with the wrong type', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sbworker-cli-'));
    dirs.push(dir);
    const config = join(dir, 'Config.json');
    const key = 'cli-key-value-9d2f';
    await writeFile(
      config,
      JSON.stringify({
        UserConfig: { Namespaces: [{ Name: 'sbemulatorns', Queues: [], Topics: [] }] },
        SbworkerEmulator: { SharedAccessPolicies: [{ Name: 'p', Key: [key], Rights: ['Send'] }] },
      }),
    );
    const run = runEmulator(['--port', '0', '--config', config]);
    const code = await run.exited;
    assert.notEqual(code, 0);
    assert.match(run.stderr(), /policy "p": Key must be a string, not an array/);
    assert.ok(!run.stderr().includes(key), run.stderr());
  });

  it('serves /health and management API; new entities survive restart, not --reset', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sbworker-cli-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');

    const first = runEmulator(['--port', '0', '--http-port', '0', '--data-dir', dataDir]);
    const one = await startedOn(first);
    const health = await fetch(`http://127.0.0.1:${one.httpPort}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'healthy' });
    const admin = createAdministrationClient(one.connectionString, {
      emulatorHttpPort: one.httpPort,
    });
    await admin.createQueue('made-at-run-time', { maxDeliveryCount: 7 });
    const client = testClient(one.connectionString);
    await client.createSender('made-at-run-time').sendMessages({ body: 'kept' });
    await client.close();
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);

    const second = runEmulator(['--port', '0', '--http-port', '0', '--data-dir', dataDir]);
    const two = await startedOn(second);
    const again = createAdministrationClient(two.connectionString, {
      emulatorHttpPort: two.httpPort,
    });
    assert.equal((await again.getQueue('made-at-run-time')).maxDeliveryCount, 7);
    const client2 = testClient(two.connectionString);
    const [kept] = await client2
      .createReceiver('made-at-run-time', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(kept?.body, 'kept');
    await client2.close();
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);

    const third = runEmulator([
      '--port',
      '0',
      '--http-port',
      '0',
      '--data-dir',
      dataDir,
      '--reset',
    ]);
    const three = await startedOn(third);
    const reset = createAdministrationClient(three.connectionString, {
      emulatorHttpPort: three.httpPort,
    });
    assert.equal(await reset.queueExists('made-at-run-time'), false);
    third.child.kill('SIGTERM');
    assert.equal(await third.exited, 0);
  });

  it('exits 2 (usage error) for a port that is not a number, naming the option', async () => {
    const run = runEmulator(['--port', 'abc']);
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /--port/);
    assert.equal(run.stdout.filter((line) => line.includes('ready')).length, 0);
  });

  it('exits 2 (usage error) for an empty --data-dir, naming the option', async () => {
    const run = runEmulator(['--port', '0', '--data-dir', '']);
    // One that starts anyway (in memory) is stopped, so the test fails instead of waiting.
    void run.ready.then(
      () => run.child.kill('SIGTERM'),
      () => undefined,
    );
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /--data-dir/);
    assert.match(run.stderr(), /must name a folder/);
    assert.equal(run.stdout.filter((line) => line.includes('ready')).length, 0);
  });

  it('prints the package version with --version', async () => {
    const { version } = JSON.parse(
      await readFile(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
    ) as {
      version: string;
    };
    const child = spawn(process.execPath, [CLI_MAIN, '--version'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    assert.equal(out.trim(), version);
  });
});
