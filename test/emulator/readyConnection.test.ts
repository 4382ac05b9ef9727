import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startTestEmulator } from '../support/emulator';

const SENDER = { name: 'sender', key: 'sender-key', rights: ['Send' as const] };
const ROOT_OWN_KEY = {
  name: 'RootManageSharedAccessKey',
  key: 'root-key-from-config',
  rights: ['Manage' as const, 'Send' as const, 'Listen' as const],
};

describe('emulator: the connection string it announces', () => {
  it('names the Manage policy even when a narrower one comes first in the config', async () => {
    const emulator = await startTestEmulator({
      queues: ['rc-queue'],
      namespace: { policies: [SENDER, ROOT_OWN_KEY] },
    });
    try {
      assert.match(
        emulator.connectionString,
        /;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=root-key-from-config;/,
      );
    } finally {
      await emulator.close();
    }
  });
});
