import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { MemoryAdminBackend } from '../../../src/emulator/http/memoryBackend';
import { startTestManagementServer, type TestManagementServer } from './support';

/** The status line of a request written by hand: fetch would not send these Host headers. */
function statusLine(port: number, path: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('management API: the Host header', () => {
  let test: TestManagementServer;

  before(async () => {
    test = await startTestManagementServer(new MemoryAdminBackend('sbemulatorns'));
  });

  after(() => test.server.close());

  // RFC 9110 section 7.2 / RFC 9112 section 3.2: a Host that is no valid host is a client error.
  // A path, query or fragment in Host would have moved the request to another path.
  for (const host of ['[::1', 'a b', 'x:99999', '%zz', 'x/q1?', 'a?b', 'a#b', 'a\\b', 'u@h']) {
    it(`answers 400 to Host ${JSON.stringify(host)}, on /health too`, async () => {
      const port = test.server.port;
      assert.match(await statusLine(port, '/health', host), /^HTTP\/1\.1 400 /);
      assert.match(await statusLine(port, '/some-queue', host), /^HTTP\/1\.1 400 /);
    });
  }

  it('answers /health to an empty Host, which HTTP/1.1 allows', async () => {
    assert.match(await statusLine(test.server.port, '/health', ''), /^HTTP\/1\.1 200 /);
  });
});
