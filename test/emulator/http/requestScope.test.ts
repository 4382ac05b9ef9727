import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DEVELOPMENT_POLICY } from '../../../src/emulator/config/defaults';
import { MemoryAdminBackend } from '../../../src/emulator/http/memoryBackend';
import { signSasToken } from '../../support/sasToken';
import {
  queueEntry,
  refusal,
  startTestManagementServer,
  type TestManagementServer,
} from './support';

/** A token from the Manage policy for `resource`, as an operator hands out for one entity. */
function manageToken(resource: string): string {
  const expiry = Math.floor(Date.now() / 1000) + 600;
  return signSasToken(resource, expiry, DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key);
}

describe('management API: what a token and a path may reach', () => {
  let test: TestManagementServer;
  let backend: MemoryAdminBackend;

  before(async () => {
    backend = new MemoryAdminBackend('sbemulatorns');
    test = await startTestManagementServer(backend);
    await test.admin.createQueue('scope-q2');
    await test.admin.createTopic('scope-t1');
  });

  after(() => test.server.close());

  async function put(path: string, fields: string, token: string): Promise<Response> {
    return fetch(`${test.server.url}/${path}?api-version=2021-05`, {
      method: 'PUT',
      body: queueEntry(fields),
      headers: { authorization: token, 'content-type': 'application/atom+xml' },
    });
  }

  // Azure's auto-forwarding page: the creator needs Manage on the source and the destination.
  it('refuses with 401 a forward to an entity the token does not cover', async () => {
    const token = manageToken(`${test.server.url}/scope-q1`);
    const cases: Array<[string, string]> = [
      ['scope-q1/fwd', '<ForwardTo>scope-q2</ForwardTo>'],
      ['scope-q1/dlq', '<ForwardDeadLetteredMessagesTo>scope-t1</ForwardDeadLetteredMessagesTo>'],
    ];
    for (const [path, fields] of cases) {
      const response = await put(path, fields, token);
      assert.equal(response.status, 401, path);
      assert.match(await response.text(), /claim\(s\) are required on the Forward/);
      assert.equal(backend.getQueue(path), undefined, path);
    }
  });

  it('lets a scoped token forward inside its scope, and create without forwarding', async () => {
    const token = manageToken(`${test.server.url}/scope-q3`);
    assert.equal((await put('scope-q3/in', '', token)).status, 201);
    const inside = await put('scope-q3/fwd', '<ForwardTo>scope-q3/in</ForwardTo>', token);
    assert.equal(inside.status, 201);
  });

  it('lets the administration client forward anywhere in the namespace', async () => {
    // The client signs each request for its URL, and the destination in a supplementary header.
    const queue = await test.admin.createQueue('scope-q4', {
      forwardTo: 'scope-q2',
      forwardDeadLetteredMessagesTo: 'scope-t1',
    });
    assert.match(queue.forwardTo ?? '', /\/scope-q2$/);
  });

  it('refuses a token whose resource is empty, / or of another scheme', async () => {
    const list = `${test.server.url}/$Resources/Queues?api-version=2021-05`;
    const host = new URL(test.server.url).host;
    for (const resource of ['', '/', 'sb://', `ftp://${host}/`, `file://${host}/`]) {
      const response = await fetch(list, { headers: { authorization: manageToken(resource) } });
      assert.equal(response.status, 401, resource);
      assert.match(await response.text(), /The token resource \(sr\) must name the namespace/);
    }
    for (const resource of [`sb://${host}/`, `https://${host}/`, `amqps://elsewhere/`]) {
      const response = await fetch(list, { headers: { authorization: manageToken(resource) } });
      assert.equal(response.status, 200, resource);
    }
  });

  it("refuses '.', '..' and empty segments sent encoded, with 400", async () => {
    const token = manageToken(`${test.server.url}/`);
    for (const [path, name] of [
      ['scope-a/..%2Fscope-b', 'scope-a/../scope-b'],
      ['scope-a/.%2Fscope-b', 'scope-a/./scope-b'],
      ['scope-a//scope-b', 'scope-a//scope-b'],
      ['scope-a%2F%2Fscope-b', 'scope-a//scope-b'],
    ] as const) {
      const response = await put(path, '', token);
      assert.equal(response.status, 400, path);
      assert.match(await response.text(), /segment: names are made of non-empty segments/);
      assert.equal(backend.getQueue(name), undefined, name);
    }
  });

  it('refuses UserMetadata over 1,024 characters with a 400 naming it', async () => {
    const longest = await test.admin.createQueue('scope-meta', {
      userMetadata: 'm'.repeat(1024),
    });
    assert.equal(longest.userMetadata.length, 1024);

    const userMetadata = 'm'.repeat(1025);
    const refusals = [
      test.admin.createQueue('scope-meta-q', { userMetadata }),
      test.admin.createTopic('scope-meta-t', { userMetadata }),
      test.admin.createSubscription('scope-t1', 'scope-meta-s', { userMetadata }),
    ];
    for (const refused of refusals) {
      const message = await refusal(refused, 400, 'ServiceError');
      assert.match(message, /UserMetadata .*1025 characters long, over the limit of 1024/);
    }
  });
});
