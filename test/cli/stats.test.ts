import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DEFAULT_NAMESPACE_NAME, DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { MemoryAdminBackend } from '../../src/emulator/http/memoryBackend';
import {
  startManagementServer,
  type RunningManagementServer,
} from '../../src/emulator/http/server';
import { createAdministrationClient } from '../../src/shared/adminClient';
import { runCli } from './runCli';

// The emulator's management API on its own, with entities and no messages: the broker does
// not feed it counts yet, so every count is 0 here.
const EMULATOR =
  'Endpoint=sb://127.0.0.1;SharedAccessKeyName=RootManageSharedAccessKey;' +
  'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;';

describe('sbworker stats against the emulator management API', () => {
  let server: RunningManagementServer;

  before(async () => {
    server = await startManagementServer({
      backend: new MemoryAdminBackend(DEFAULT_NAMESPACE_NAME),
      policies: [DEVELOPMENT_POLICY],
      maxMessageSizeBytes: 256 * 1024,
      port: 0,
      hosts: ['127.0.0.1'],
    });
    const admin = createAdministrationClient(EMULATOR, { emulatorHttpPort: server.port });
    await admin.createQueue('st-orders');
    await admin.createTopic('st-events');
    await admin.createSubscription('st-events', 'st-audit');
  });

  after(async () => {
    await server.close();
  });

  it('lists every queue, topic and subscription with its counts', async () => {
    const result = await runCli(['stats', '--http-port', String(server.port)], {
      env: { SERVICEBUS_CONNECTION_STRING: EMULATOR },
    });

    assert.equal(result.exitCode, 0, result.stderr);
    const rows = result.stdout.trimEnd().split('\n');
    assert.match(
      rows[0] ?? '',
      /^ENTITY\s+KIND\s+ACTIVE\s+DEAD-LETTERED\s+SCHEDULED\s+TRANSFER\s+TRANSFER-DL\s+TOTAL$/,
    );
    assert.match(rows[2] ?? '', /^st-orders\s+queue\s+0\s+0\s+0\s+0\s+0\s+0$/);
    assert.match(rows[3] ?? '', /^st-events\s+topic\s+-\s+-\s+0\s+-\s+-\s+-$/);
    const subscription = /^st-events\/subscriptions\/st-audit\s+subscription\s+0\s+0\s+-\s+0/;
    assert.match(rows[4] ?? '', subscription);
  });

  it('prints one entity as JSON and fails with 1 for an unknown one', async () => {
    const args = ['--http-port', String(server.port), '--connection-string', EMULATOR];

    const one = await runCli(['stats', 'st-orders', '--json', ...args]);
    assert.equal(one.exitCode, 0, one.stderr);
    assert.deepEqual(JSON.parse(one.stdout), {
      entity: 'st-orders',
      kind: 'queue',
      active: 0,
      deadLettered: 0,
      scheduled: 0,
      transfer: 0,
      transferDeadLettered: 0,
      total: 0,
    });

    const missing = await runCli(['stats', 'st-missing', ...args]);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /^sbworker: /);
  });
});
