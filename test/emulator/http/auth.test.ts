import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { parseXML } from '@azure/core-xml';

import { DEVELOPMENT_POLICY } from '../../../src/emulator/config/defaults';
import type { SharedAccessPolicy } from '../../../src/emulator/config/types';
import { MemoryAdminBackend } from '../../../src/emulator/http/memoryBackend';
import { refusal, startTestManagementServer, type TestManagementServer } from './support';

const SENDER: SharedAccessPolicy = { name: 'SendAndListen', key: 'k2', rights: ['Send', 'Listen'] };

/** A SAS token as Service Bus clients sign an HTTP request: HMAC over the URL and expiry. */
function sasToken(
  url: string,
  keyName: string,
  key: string,
  expiresAtSeconds: number | string,
): string {
  const resource = encodeURIComponent(url.toLowerCase()).toLowerCase();
  const hmac = createHmac('sha256', key).update(`${resource}\n${expiresAtSeconds}`);
  const signature = hmac.digest('base64');
  return (
    `SharedAccessSignature sig=${encodeURIComponent(signature)}&se=${expiresAtSeconds}` +
    `&skn=${keyName}&sr=${resource}`
  );
}

describe('management API: health and auth', () => {
  let test: TestManagementServer;
  let listUrl: string;
  const inOneHour = (): number => Math.floor(Date.now() / 1000) + 3600;

  before(async () => {
    const backend = new MemoryAdminBackend('sbemulatorns');
    test = await startTestManagementServer(backend, [DEVELOPMENT_POLICY, SENDER]);
    listUrl = `${test.server.url}/$Resources/Queues?api-version=2021-05`;
  });

  after(() => test.server.close());

  it('answers GET /health with 200 {"status":"healthy"} without a token', async () => {
    const response = await fetch(`${test.server.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'healthy' });
  });

  it('accepts a well-signed token from a policy with Manage', async () => {
    const token = sasToken(listUrl, DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key, inOneHour());
    const response = await fetch(listUrl, { headers: { authorization: token } });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom">/);
  });

  it("accepts a token for the entity on that entity's requests, whatever their query", async () => {
    // `sbworker stats q1` with a SharedAccessSignature made for q1; the SDK adds api-version.
    await test.admin.createQueue('auth-scoped');
    const entityUri = `${test.server.url}/auth-scoped`;
    const token = sasToken(entityUri, DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key, inOneHour());
    const response = await fetch(`${entityUri}?api-version=2021-05`, {
      headers: { authorization: token },
    });
    assert.equal(response.status, 200);
    const other = await fetch(`${test.server.url}/auth-other?api-version=2021-05`, {
      headers: { authorization: token },
    });
    assert.equal(other.status, 401);
  });

  // As Service Bus answers a body it cannot read: 400, and a detail that says what is wrong
  // and where (line and position), not the parser's internals.
  const malformed: Array<[string, string]> = [
    [
      '<entry><content>',
      'it ends with elements not closed: <entry>, <content> (line 1, position 1)',
    ],
    ['<entry a=1></entry>', "Attribute 'a' is without value (line 1, position 8)"],
    [
      '<entry>\n</content>',
      "Expected closing tag 'entry' (opened in line 1, col 1) instead of closing tag 'content'" +
        ' (line 2, position 1)',
    ],
  ];
  for (const [body, detail] of malformed) {
    it(`answers a PUT whose body is not XML with 400 and where: ${detail}`, async () => {
      const url = `${test.server.url}/auth-q-garbage?api-version=2021-05`;
      const token = sasToken(url, DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key, inOneHour());
      const response = await fetch(url, {
        method: 'PUT',
        headers: { authorization: token, 'content-type': 'application/atom+xml' },
        body,
      });
      assert.equal(response.status, 400);
      const text = await response.text();
      const error = (await parseXML(text)) as { Code?: unknown; Detail?: unknown };
      assert.deepEqual(error, {
        Code: '400',
        Detail: `The request body is not valid XML: ${detail}.`,
      });
      assert.ok(!text.includes('"err"'), text);
    });
  }

  it('refuses a request without a token with 401', async () => {
    const response = await fetch(listUrl);
    assert.equal(response.status, 401);
    assert.match(await response.text(), /<Detail>The request has no Authorization header/);
  });

  it('refuses an expired token with 401', async () => {
    const fiveSecondsAgo = Math.floor(Date.now() / 1000) - 5;
    const { name, key } = DEVELOPMENT_POLICY;
    const token = sasToken(listUrl, name, key, fiveSecondsAgo);
    const response = await fetch(listUrl, { headers: { authorization: token } });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /expired/);
  });

  it('refuses a signed expiry that is not a number as such, not as expired', async () => {
    for (const expiry of ['abc', '1e12', '-5', '']) {
      const token = sasToken(listUrl, DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key, expiry);
      const response = await fetch(listUrl, { headers: { authorization: token } });
      assert.equal(response.status, 401, expiry);
      assert.match(await response.text(), /expiry \(se\) is not a whole number/, expiry);
    }
  });

  it('refuses a token signed for another URL with 401', async () => {
    const other = `${test.server.url}/some-other-queue?api-version=2021-05`;
    const token = sasToken(other, DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key, inOneHour());
    const response = await fetch(listUrl, { headers: { authorization: token } });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /audience/);
  });

  it('refuses the administration client with a wrong key as UnauthorizedRequestError', async () => {
    const admin = test.adminAs(DEVELOPMENT_POLICY.name, 'not-the-key');
    await refusal(admin.createQueue('auth-q-wrong-key'), 401, 'UnauthorizedRequestError');
    assert.equal(await test.admin.queueExists('auth-q-wrong-key'), false);
  });

  it('refuses a policy without the Manage right', async () => {
    const admin = test.adminAs(SENDER.name, SENDER.key);
    const refused = await refusal(admin.getNamespaceProperties(), 401, 'UnauthorizedRequestError');
    assert.match(refused, /Manage/);
  });
});
