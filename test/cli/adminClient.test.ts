import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { createAdministrationClient, isDevelopmentEmulator } from '../../src/shared/adminClient';

// A queue entry in the Service Bus management (ATOM) format, as the service returns it for
// GET /<queue>; the SDK's own parser is the judge of whether it is read correctly.
const QUEUE_ENTRY = `<?xml version="1.0" encoding="utf-8"?>
<entry xmlns="http://www.w3.org/2005/Atom">
  <id>http://127.0.0.1/stats-q?api-version=2021-05</id>
  <title type="text">stats-q</title>
  <published>2026-01-01T00:00:00Z</published>
  <updated>2026-01-01T00:00:00Z</updated>
  <content type="application/xml">
    <QueueDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect"
        xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
      <SizeInBytes>512</SizeInBytes>
      <CreatedAt>2026-01-01T00:00:00Z</CreatedAt>
      <UpdatedAt>2026-01-01T00:00:00Z</UpdatedAt>
      <AccessedAt>2026-01-01T00:00:00Z</AccessedAt>
      <MessageCount>9</MessageCount>
      <CountDetails xmlns:d2p1="http://schemas.microsoft.com/netservices/2011/06/servicebus">
        <d2p1:ActiveMessageCount>5</d2p1:ActiveMessageCount>
        <d2p1:DeadLetterMessageCount>3</d2p1:DeadLetterMessageCount>
        <d2p1:ScheduledMessageCount>1</d2p1:ScheduledMessageCount>
        <d2p1:TransferMessageCount>0</d2p1:TransferMessageCount>
        <d2p1:TransferDeadLetterMessageCount>0</d2p1:TransferDeadLetterMessageCount>
      </CountDetails>
    </QueueDescription>
  </content>
</entry>`;

describe('createAdministrationClient', () => {
  let server: Server;
  let httpPort: number;
  const requests: IncomingMessage[] = [];

  before(async () => {
    server = createServer((request, response) => {
      requests.push(request);
      response.writeHead(200, { 'content-type': 'application/atom+xml;type=entry;charset=utf-8' });
      response.end(QUEUE_ENTRY);
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    httpPort = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise((closed) => server.close(closed));
  });

  it('reaches an emulator over plain HTTP on its management port and reads counts', async () => {
    const connectionString =
      'Endpoint=sb://127.0.0.1:5999;SharedAccessKeyName=RootManageSharedAccessKey;' +
      'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;';
    const admin = createAdministrationClient(connectionString, { emulatorHttpPort: httpPort });

    const queue = await admin.getQueueRuntimeProperties('stats-q');

    assert.deepEqual(
      [
        queue.name,
        queue.activeMessageCount,
        queue.deadLetterMessageCount,
        queue.scheduledMessageCount,
      ],
      ['stats-q', 5, 3, 1],
    );
    const request = requests.at(-1);
    assert.equal(request?.method, 'GET');
    assert.equal(request?.url, '/stats-q?api-version=2021-05');
    assert.equal(request?.headers.host, `127.0.0.1:${httpPort}`);
    const authorization = String(request?.headers.authorization);
    assert.match(authorization, /^SharedAccessSignature /);
    assert.match(
      decodeURIComponent(authorization),
      new RegExp(`sr=http://127\\.0\\.0\\.1:${httpPort}/stats-q`),
    );
  });

  it('leaves the client untouched for Azure', () => {
    const azure =
      'Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b';
    const names = createAdministrationClient(azure)
      .pipeline.getOrderedPolicies()
      .map((p) => p.name);
    assert.ok(names.includes('signingPolicy'));
    assert.ok(!names.includes('sbworkerEmulatorEndpoint'));
    assert.equal(isDevelopmentEmulator(azure), false);
  });

  it('puts its rewrite before the SDK signs, so the signature covers the URL sent', () => {
    const emulator =
      'Endpoint=sb://127.0.0.1;SharedAccessKeyName=a;SharedAccessKey=b;UseDevelopmentEmulator=true';
    const names = createAdministrationClient(emulator)
      .pipeline.getOrderedPolicies()
      .map((p) => p.name);
    assert.ok(names.indexOf('sbworkerEmulatorEndpoint') < names.indexOf('signingPolicy'));
    assert.ok(names.indexOf('sbworkerEmulatorEndpoint') >= 0);
  });
});
