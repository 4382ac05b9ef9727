import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { isServiceBusError } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { startTestEmulator, testClient, withKey } from '../support/emulator';
import { RawPeer } from '../support/rawAmqp';
import { signSasToken } from '../support/sasToken';
import { captureLogger } from '../worker/support';

// A refused $cbs put-token is logged as a warning whose `code` is the AMQP condition the
// client was answered with (CBS: 401 is amqp:unauthorized-access), so an operator can filter
// on it. The token and the key it was signed with are secrets: neither may be in that line.

const QUEUES = {
  wrongKey: 'refused-wrong-key',
  unknownPolicy: 'refused-unknown-policy',
  expired: 'refused-expired',
  audience: 'refused-audience',
  malformed: 'refused-malformed',
  badEncoding: 'refused-bad-encoding',
  operation: 'refused-operation',
};
const WRONG_KEY = 'wrong-key-7Hq2xZ';
const UNAUTHORIZED = 'amqp:unauthorized-access';

/** The connection string with a ready-made token instead of a key, as the SDK reads it. */
function withToken(connectionString: string, token: string): string {
  const endpoint = /Endpoint=[^;]*;/.exec(connectionString)![0];
  return `${endpoint}SharedAccessSignature=${token};UseDevelopmentEmulator=true;`;
}

/** The signature of a token, as sent (URL-encoded) and decoded. */
function signatureForms(token: string): string[] {
  const sent = /sig=([^&]*)/.exec(token)![1]!;
  return [sent, decodeURIComponent(sent)];
}

function rejectsWith(description: RegExp) {
  return (error: unknown) => {
    assert.ok(isServiceBusError(error), `not a ServiceBusError: ${String(error)}`);
    assert.equal(error.code, 'UnauthorizedAccess', error.message);
    assert.match(error.message, description);
    return true;
  };
}

describe('emulator: a refused $cbs put-token is logged with its condition as the code', () => {
  let emulator: RunningEmulator;
  let endpoint: string;
  const log = captureLogger('debug');

  before(async () => {
    emulator = await startTestEmulator({ queues: Object.values(QUEUES) }, { logger: log.logger });
    endpoint = `sb://localhost:${emulator.port}`;
  });

  after(() => emulator.close());

  /** The refusal lines for one queue, as written (JSON text) and parsed. */
  function refusalsFor(queue: string, message = 'put-token refused') {
    const lines = log.rawLines().filter((line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      return parsed.msg === message && String(parsed.audience).endsWith(`/${queue}`);
    });
    assert.ok(lines.length > 0, `no '${message}' line for ${queue}: ${log.rawLines().join('\n')}`);
    return lines.map((raw) => ({ raw, line: JSON.parse(raw) as Record<string, unknown> }));
  }

  /** Every refusal line for the queue: a warning with this code and reason, and no secret. */
  function assertLogged(queue: string, code: string, reason: string, secrets: string[]): void {
    for (const { raw, line } of refusalsFor(queue)) {
      assert.equal(line.level, 'warn', raw);
      assert.equal(line.code, code, raw);
      assert.equal(line.reason, reason, raw);
      for (const secret of [...secrets, 'sig=', 'skn=']) {
        assert.ok(!raw.includes(secret), `'${secret}' is in ${raw}`);
      }
    }
  }

  it('logs a token signed with a wrong key (the SDK: UnauthorizedAccess)', async () => {
    const client = testClient(
      withKey(emulator.connectionString, DEVELOPMENT_POLICY.name, WRONG_KEY),
    );

    await assert.rejects(
      client.createSender(QUEUES.wrongKey).sendMessages({ body: 'refused' }),
      rejectsWith(/signature does not match/),
    );
    await client.close();

    assertLogged(
      QUEUES.wrongKey,
      UNAUTHORIZED,
      'The token signature does not match the shared access key.',
      [WRONG_KEY],
    );
  });

  it('logs a token naming a policy the namespace does not have', async () => {
    const client = testClient(
      withKey(emulator.connectionString, 'no-such-policy', DEVELOPMENT_POLICY.key),
    );

    await assert.rejects(
      client.createSender(QUEUES.unknownPolicy).sendMessages({ body: 'refused' }),
      rejectsWith(/No shared access policy named 'no-such-policy'/),
    );
    await client.close();

    assertLogged(
      QUEUES.unknownPolicy,
      UNAUTHORIZED,
      "No shared access policy named 'no-such-policy'.",
      [DEVELOPMENT_POLICY.key],
    );
  });

  it('logs an expired token', async () => {
    const { name, key } = DEVELOPMENT_POLICY;
    const expiredAt = Math.floor(Date.now() / 1000) - 60;
    const token = signSasToken(`${endpoint}/${QUEUES.expired}`, expiredAt, name, key);
    const client = testClient(withToken(emulator.connectionString, token));

    await assert.rejects(
      client.createSender(QUEUES.expired).sendMessages({ body: 'refused' }),
      rejectsWith(/expired/),
    );
    await client.close();

    assertLogged(QUEUES.expired, UNAUTHORIZED, 'The token has expired.', [
      key,
      ...signatureForms(token),
    ]);
  });

  it('logs a token issued for another entity than the audience asked for', async () => {
    const { name, key } = DEVELOPMENT_POLICY;
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const token = signSasToken(`${endpoint}/${QUEUES.expired}`, expiresAt, name, key);
    const client = testClient(withToken(emulator.connectionString, token));

    await assert.rejects(
      client.createSender(QUEUES.audience).sendMessages({ body: 'refused' }),
      rejectsWith(/not issued for the requested audience/),
    );
    await client.close();

    assertLogged(
      QUEUES.audience,
      UNAUTHORIZED,
      'The token was not issued for the requested audience.',
      [key, ...signatureForms(token)],
    );
  });

  // What no SDK sends: the answer is the same 401 the SDK turns into UnauthorizedAccess.
  const malformed: [string, string, (audience: string) => string, string][] = [
    [
      'a token that is not a SharedAccessSignature',
      QUEUES.malformed,
      () => 'not-a-token-secret-3Jk8',
      'The token is not a well-formed SharedAccessSignature.',
    ],
    [
      'a token whose signature is not valid percent-encoding',
      QUEUES.badEncoding,
      (audience) =>
        `SharedAccessSignature sr=${encodeURIComponent(audience)}&sig=%E0%A4%Asecret-5Wp1` +
        `&se=${Math.floor(Date.now() / 1000) + 600}&skn=${DEVELOPMENT_POLICY.name}`,
      'The token is invalid.',
    ],
  ];
  for (const [what, queue, tokenFor, reason] of malformed) {
    it(`answers ${what} with 401 and logs it`, async () => {
      const audience = `${endpoint}/${queue}`;
      const token = tokenFor(audience);
      const peer = await RawPeer.open(emulator.port);

      const reply = await peer.putToken(audience, token);
      peer.destroy();

      assert.equal(reply?.application_properties?.['status-code'], 401);
      assert.equal(reply?.application_properties?.['error-condition'], UNAUTHORIZED);
      assert.equal(reply?.application_properties?.['status-description'], reason);
      const secret = /secret-\w+/.exec(token)![0];
      assertLogged(queue, UNAUTHORIZED, reason, [secret, DEVELOPMENT_POLICY.key]);
    });
  }

  it('answers a CBS operation other than put-token with 501 and logs it', async () => {
    const { name, key } = DEVELOPMENT_POLICY;
    const audience = `${endpoint}/${QUEUES.operation}`;
    const token = signSasToken(audience, Math.floor(Date.now() / 1000) + 600, name, key);
    const peer = await RawPeer.open(emulator.port);

    const reply = await peer.putToken(audience, token, 'delete-token');
    peer.destroy();

    assert.equal(reply?.application_properties?.['status-code'], 501);
    assert.equal(reply?.application_properties?.['error-condition'], 'amqp:not-implemented');
    const [refusal] = refusalsFor(QUEUES.operation, 'CBS request refused');
    assert.equal(refusal?.line.level, 'warn');
    assert.equal(refusal?.line.code, 'amqp:not-implemented');
    assert.equal(refusal?.line.operation, 'delete-token');
    for (const secret of [key, ...signatureForms(token)]) {
      assert.ok(!refusal?.raw.includes(secret), `'${secret}' is in ${refusal?.raw}`);
    }
  });
});
