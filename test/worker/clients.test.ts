import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createCredential } from '../../src/worker/clients';
import { resolveConnection } from '../../src/worker/connection';

// Building a credential contacts nothing (the first token request would); no test here asks
// for a token. The worker imports @azure/identity as an ES module, the test would get the
// CommonJS copy, so the classes are compared by name.

async function credentialFor(section: Record<string, string>) {
  const connection = resolveConnection('ServiceBusConnection', {
    ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
    ...Object.fromEntries(
      Object.entries(section).map(([part, value]) => [`ServiceBusConnection__${part}`, value]),
    ),
  });
  assert.ok(connection?.kind === 'identity');
  return createCredential(connection);
}

describe('createCredential', () => {
  it('builds a client secret credential for a complete service principal', async () => {
    const credential = await credentialFor({
      tenantId: '00000000-0000-0000-0000-000000000001',
      clientId: 'client-1',
      clientSecret: 'secret',
    });

    assert.equal(credential.constructor.name, 'ClientSecretCredential');
  });

  it('builds the default chain for clientId alone or for no credential settings', async () => {
    const userAssigned = await credentialFor({ clientId: 'client-1' });
    const plain = await credentialFor({});

    assert.equal(userAssigned.constructor.name, 'DefaultAzureCredential');
    assert.equal(plain.constructor.name, 'DefaultAzureCredential');
  });
});
