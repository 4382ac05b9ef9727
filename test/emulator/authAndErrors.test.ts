import assert from 'node:assert/strict';

import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { isServiceBusError, type ServiceBusClient } from '@azure/service-bus';

import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient, withKey } from '../support/emulator';
import { signSasToken } from '../support/sasToken';

function hasCode(code: string) {
  return (error: unknown) => {
    assert.ok(isServiceBusError(error), `not a ServiceBusError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

/** The emulator's connection string carrying a ready-made token instead of a key. */
function withToken(connectionString: string, token: string): string {
  const endpoint = /Endpoint=[^;]*;/.exec(connectionString)![0];
  return `${endpoint}SharedAccessSignature=${token};UseDevelopmentEmulator=true;`;
}

describe('emulator auth and bad input', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: ['auth-rights', 'errors-size', 'errors-survive'],
      namespace: {
        policies: [
          DEVELOPMENT_POLICY,
          { name: 'sender', key: 'send-key', rights: ['Send'] },
          { name: 'listener', key: 'listen-key', rights: ['Listen'] },
        ],
      },
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('refuses a wrong key with UnauthorizedAccess', async () => {
    const bad = testClient(
      withKey(emulator.connectionString, 'RootManageSharedAccessKey', 'wrong'),
    );
    await assert.rejects(
      bad.createSender('auth-rights').sendMessages({ body: 1 }),
      hasCode('UnauthorizedAccess'),
    );
    await bad.close();
  });

  it('accepts a signed token for the entity and refuses an expired one', async () => {
    const { name, key } = DEVELOPMENT_POLICY;
    const endpoint = emulator.connectionString.replace(/^Endpoint=sb:\/\/([^;]*);.*$/, 'sb://$1');
    const nowSeconds = Math.floor(Date.now() / 1000);

    const valid = testClient(
      withToken(
        emulator.connectionString,
        signSasToken(`${endpoint}/auth-rights`, nowSeconds + 600, name, key),
      ),
    );
    await valid.createSender('auth-rights').sendMessages({ body: 'signed' });
    await valid.close();

    const expired = testClient(
      withToken(
        emulator.connectionString,
        signSasToken(`${endpoint}/auth-rights`, nowSeconds - 60, name, key),
      ),
    );
    await assert.rejects(
      expired.createSender('auth-rights').sendMessages({ body: 1 }),
      hasCode('UnauthorizedAccess'),
    );
    await expired.close();

    const drain = client.createReceiver('auth-rights', { receiveMode: 'receiveAndDelete' });
    const [signed] = await drain.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(signed?.body, 'signed');
    await drain.close();
  });

  it('refuses a token for another entity (wrong audience) with UnauthorizedAccess', async () => {
    const { name, key } = DEVELOPMENT_POLICY;
    const endpoint = emulator.connectionString.replace(/^Endpoint=sb:\/\/([^;]*);.*$/, 'sb://$1');
    const token = signSasToken(
      `${endpoint}/errors-size`,
      Math.floor(Date.now() / 1000) + 600,
      name,
      key,
    );
    const other = testClient(withToken(emulator.connectionString, token));
    await assert.rejects(
      other.createSender('auth-rights').sendMessages({ body: 1 }),
      hasCode('UnauthorizedAccess'),
    );
    await other.close();
  });

  it('refuses an unknown policy name with UnauthorizedAccess', async () => {
    const bad = testClient(withKey(emulator.connectionString, 'nobody', 'SAS_KEY_VALUE'));
    await assert.rejects(
      bad.createSender('auth-rights').sendMessages({ body: 1 }),
      hasCode('UnauthorizedAccess'),
    );
    await bad.close();
  });

  it('lets a Send-only key only send and a Listen-only key only receive', async () => {
    const sendOnly = testClient(withKey(emulator.connectionString, 'sender', 'send-key'));
    const listenOnly = testClient(withKey(emulator.connectionString, 'listener', 'listen-key'));

    await sendOnly.createSender('auth-rights').sendMessages({ body: 'allowed' });
    await assert.rejects(
      sendOnly.createReceiver('auth-rights').receiveMessages(1, { maxWaitTimeInMs: 500 }),
      hasCode('UnauthorizedAccess'),
    );
    await assert.rejects(
      listenOnly.createSender('auth-rights').sendMessages({ body: 'no' }),
      hasCode('UnauthorizedAccess'),
    );

    const receiver = listenOnly.createReceiver('auth-rights');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(message?.body, 'allowed');
    await receiver.completeMessage(message!);
    await sendOnly.close();
    await listenOnly.close();
  });

  it('reports an unknown entity as MessagingEntityNotFound', async () => {
    await assert.rejects(
      client.createSender('no-such-queue').sendMessages({ body: 1 }),
      hasCode('MessagingEntityNotFound'),
    );
    await assert.rejects(
      client.createReceiver('no-such-queue').receiveMessages(1, { maxWaitTimeInMs: 500 }),
      hasCode('MessagingEntityNotFound'),
    );
  });

  it('refuses a message over 256 KB with MessageSizeExceeded', async () => {
    const sender = client.createSender('errors-size');
    await assert.rejects(
      sender.sendMessages({ body: Buffer.alloc(300 * 1024) }),
      hasCode('MessageSizeExceeded'),
    );
    await sender.sendMessages({ body: Buffer.alloc(200 * 1024) });
    const [message] = await client
      .createReceiver('errors-size', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal((message?.body as Buffer).length, 200 * 1024);
  });

  // Service Bus quotas, every tier: 32 KB for one property, 64 KB for the whole header.
  it('refuses a property over 32 KB or a header over 64 KB: MessageSizeExceeded', async () => {
    const sender = client.createSender('errors-size');
    const text = (kb: number) => 'x'.repeat(kb * 1024);
    await assert.rejects(
      sender.sendMessages({ body: 'big property', applicationProperties: { note: text(40) } }),
      (error: unknown) =>
        hasCode('MessageSizeExceeded')(error) &&
        /application property 'note' takes \d+ bytes, over the limit of 32768/.test(
          (error as Error).message,
        ),
    );
    const threeOf30 = { a: text(30), b: text(30), c: text(30) };
    await assert.rejects(
      sender.sendMessages({ body: 'big header', applicationProperties: threeOf30 }),
      (error: unknown) =>
        hasCode('MessageSizeExceeded')(error) &&
        /over the limit of 65536 bytes for a message header/.test((error as Error).message),
    );
    // One bad message refuses its whole batch.
    await assert.rejects(
      sender.sendMessages([
        { body: 'fine' },
        { body: 'big property', applicationProperties: { note: text(40) } },
      ]),
      hasCode('MessageSizeExceeded'),
    );

    await sender.sendMessages({
      body: 'under',
      applicationProperties: { a: text(30), b: text(30) },
    });
    const received = await client
      .createReceiver('errors-size', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(5, { maxWaitTimeInMs: 2000 });
    assert.deepEqual(
      received.map((m) => m.body),
      ['under'],
    );
  });

  it('refuses settlements whose property changes would pass the header limits', async () => {
    const sender = client.createSender('errors-size');
    await sender.sendMessages({ body: 'settled', messageId: 'settled' });
    const receiver = client.createReceiver('errors-size');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    const text = (kb: number) => 'x'.repeat(kb * 1024);

    await assert.rejects(
      receiver.abandonMessage(message!, { note: text(40) }),
      hasCode('MessageSizeExceeded'),
    );
    const [stillThere] = await client.createReceiver('errors-size').peekMessages(1);
    assert.equal(stillThere?.messageId, 'settled');
    assert.equal(stillThere?.applicationProperties?.['note'], undefined, 'nothing changed');
    const deadLetters = await client
      .createReceiver('errors-size', { subQueueType: 'deadLetter' })
      .peekMessages(1);
    assert.deepEqual(deadLetters, []);
    await receiver.close();
  });

  it('closes a connection that sends garbage and keeps serving the others', async () => {
    const sender = client.createSender('errors-survive');
    await sender.sendMessages({ body: 'before' });

    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(emulator.port, '127.0.0.1', () =>
        socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n')),
      );
      socket.on('data', () => undefined);
      socket.on('error', () => resolve(true));
      socket.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 3000);
    });
    assert.ok(closed);

    const halfOpen = connect(emulator.port, '127.0.0.1', () =>
      halfOpen.write(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1')),
    );
    halfOpen.on('error', () => undefined);

    await sender.sendMessages({ body: 'after' });
    const receiver = client.createReceiver('errors-survive', { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(2, { maxWaitTimeInMs: 2000 });
    assert.deepEqual(
      got.map((m) => m.body),
      ['before', 'after'],
    );
    halfOpen.destroy();
  });
});
