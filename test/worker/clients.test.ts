import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ClientPool, createCredential } from '../../src/worker/clients';
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

describe('ClientPool', () => {
  const retry = { mode: 'fixed', tryTimeoutMs: 1000, delayMs: 100, maxDelayMs: 100, maxRetries: 0 };

  // Review Y: the first uses of an output-only identity connection come from invocations,
  // possibly two at once; each built a client across the credential's await, and closeAll
  // closed only the one the pool kept.
  it('builds one client for two first uses at once, and closes it', async () => {
    const pool = new ClientPool(
      { Out__fullyQualifiedNamespace: 'ns.servicebus.windows.net' },
      { ...retry, mode: 'fixed' },
    );

    const [first, second] = await Promise.all([pool.get('Out'), pool.get('Out')]);
    assert.equal(first.client, second.client);

    const close = first.client.close.bind(first.client);
    let closed = 0;
    first.client.close = () => ((closed += 1), close());
    await pool.closeAll();
    assert.equal(closed, 1);
  });

  // Trial CS: every error of the SDK's constructor was reported as a refusal of the
  // connection string, a try timeout of 0 included. Settings refuse that value first; this is
  // for a rule of the SDK the settings check does not know.
  it('names the retry option the SDK refuses, not the connection string', async () => {
    const settings = {
      Sb: 'Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=k;SharedAccessKey=secret-value',
      Id__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
    };
    const pool = new ClientPool(settings, { ...retry, mode: 'fixed', tryTimeoutMs: 0 });
    const refusal =
      'the Service Bus SDK refused its client option retryOptions.timeoutInMs, made from ' +
      'host.json extensions.serviceBus.clientRetryOptions.tryTimeout (or its ' +
      'AzureFunctionsJobHost__ setting): 0 is an invalid value for retryOptions.timeoutInMs';

    for (const name of ['Sb', 'Id']) {
      await assert.rejects(
        pool.get(name),
        (error: Error & { code?: string }) =>
          error.code === 'InvalidConfiguration' && error.message === refusal,
        name,
      );
    }
  });

  it('reports a missing setting on each use instead of keeping the failure', async () => {
    const pool = new ClientPool({}, { ...retry, mode: 'fixed' });

    await assert.rejects(pool.get('Missing'), /Missing/);
    await assert.rejects(pool.get('Missing'), /Missing/);
  });
});
