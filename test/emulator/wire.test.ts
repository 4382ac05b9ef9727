import assert from 'node:assert/strict';

import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { RAW_BYTES, rhea, types, type AmqpMessage } from '../../src/emulator/amqp/rhea';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { startTestEmulator } from '../support/emulator';
import { signSasToken } from '../support/sasToken';

// A raw AMQP client, as a non-JavaScript SDK would behave: no @azure/service-bus involved.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const EPOCH_TICKS = 621355968000000000n;

function sasToken(audience: string): string {
  const expiresAtSeconds = Math.floor(Date.now() / 1000) + 600;
  return signSasToken(audience, expiresAtSeconds, DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key);
}

function once<T>(emitter: Any, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}

class RawClient {
  private readonly container = rhea.create_container() as Any;
  connection: Any;
  private replies: Any;
  private requests: Any;
  private readonly pending = new Map<string, (message: AmqpMessage) => void>();
  private nextId = 0;

  async open(port: number): Promise<void> {
    this.connection = this.container.connect({ host: '127.0.0.1', port, reconnect: false });
    await once(this.connection, 'connection_open');
    this.requests = this.connection.open_sender({ target: { address: '$cbs' } });
    this.replies = this.connection.open_receiver({
      source: { address: '$cbs' },
      target: { address: 'raw-cbs' },
      name: 'raw-cbs',
    });
    this.replies.on('message', (context: Any) =>
      this.pending.get(context.message.correlation_id)?.(context.message),
    );
    await Promise.all([once(this.requests, 'sendable'), once(this.replies, 'receiver_open')]);
  }

  async putToken(path: string): Promise<void> {
    const audience = `sb://localhost/${path}`;
    const id = `req-${this.nextId++}`;
    const response = new Promise<AmqpMessage>((resolve) => this.pending.set(id, resolve));
    this.requests.send({
      message_id: id,
      reply_to: 'raw-cbs',
      to: '$cbs',
      application_properties: {
        operation: 'put-token',
        name: audience,
        type: 'servicebus.windows.net:sastoken',
      },
      body: sasToken(audience),
    });
    const reply = await response;
    assert.equal(reply.application_properties?.['status-code'], 202);
  }

  async management(path: string, operation: string, body: object): Promise<AmqpMessage> {
    await this.putToken(`${path}/$management`);
    const sender = this.connection.open_sender({ target: { address: `${path}/$management` } });
    const replyTo = `raw-mgmt-${this.nextId++}`;
    const receiver = this.connection.open_receiver({
      source: { address: `${path}/$management` },
      target: { address: replyTo },
      name: replyTo,
    });
    await Promise.all([once(sender, 'sendable'), once(receiver, 'receiver_open')]);
    const reply = once<Any>(receiver, 'message');
    sender.send({
      message_id: 'm1',
      reply_to: replyTo,
      application_properties: { operation },
      body: types.wrap_map(body),
    });
    const context = await reply;
    sender.close();
    receiver.close();
    return context.message;
  }

  async close(): Promise<void> {
    const closed = once(this.connection, 'connection_close');
    this.connection.close();
    await closed;
  }
}

describe('emulator wire format for non-JavaScript clients', () => {
  let emulator: RunningEmulator;
  let client: RawClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        'wire-bytes',
        'wire-lock',
        'wire-drain',
        { name: 'wire-session', requiresSession: true, lockDurationMs: 30_000 },
      ],
    });
    client = new RawClient();
    await client.open(emulator.port);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  async function sendRaw(queue: string, bytes: Buffer): Promise<void> {
    await client.putToken(queue);
    const sender = client.connection.open_sender({ target: { address: queue } });
    await once(sender, 'sendable');
    sender.send(bytes, undefined, 0);
    const context = await once<Any>(sender, 'accepted');
    assert.ok(context.delivery);
    sender.close();
  }

  async function receiveOne(
    queue: string,
    options: object = {},
  ): Promise<{ message: AmqpMessage; delivery: Any; receiver: Any }> {
    await client.putToken(queue);
    const receiver = client.connection.open_receiver({
      source: { address: queue },
      autoaccept: false,
      rcv_settle_mode: 1,
      credit_window: 0,
      ...options,
    });
    await once(receiver, 'receiver_open');
    receiver.add_credit(1);
    const context = await once<Any>(receiver, 'message');
    return { message: context.message, delivery: context.delivery, receiver };
  }

  it('keeps the bare message bytes exactly as sent, whatever their AMQP types', async () => {
    const writer = new types.Writer();
    writer.write(
      types.described(types.wrap_ulong(0x73), types.wrap_list([types.wrap_string('bytes-1')])),
    );
    writer.write(
      types.described(
        types.wrap_ulong(0x74),
        types.Map32([
          types.wrap_string('small-long'),
          types.wrap_long(Buffer.from([0, 0, 0, 0, 0, 0, 0, 7])),
          types.wrap_string('an-int'),
          types.wrap_int(-5),
          types.wrap_string('a-short'),
          (types as Any).wrap_short(3),
        ]),
      ),
    );
    writer.write(
      types.described(
        types.wrap_ulong(0x77),
        types.wrap_list([types.wrap_uint(1), types.wrap_string('x')]),
      ),
    );
    const bare = writer.toBuffer();
    await sendRaw('wire-bytes', bare);

    const { message, delivery, receiver } = await receiveOne('wire-bytes');
    const raw = message[RAW_BYTES]!;
    assert.ok(raw.length > bare.length);
    assert.deepEqual(raw.subarray(raw.length - bare.length), bare);
    assert.equal(message.message_id, 'bytes-1');
    delivery.update(true, (rhea.message.accepted() as Any).described());
    receiver.close();
  });

  it('puts the lock token in the delivery tag in .NET byte order', async () => {
    const sender = rhea.message.encode({ message_id: 'lock-1', body: 'x' });
    await sendRaw('wire-lock', sender);
    const { message, delivery, receiver } = await receiveOne('wire-lock');

    const plain = message.message_annotations?.['x-opt-lock-token'] as Buffer;
    assert.ok(Buffer.isBuffer(plain) && plain.length === 16);
    const tag = delivery.tag as Buffer;
    const dotnetOrder = Buffer.concat([
      Buffer.from(plain.subarray(0, 4)).reverse(),
      Buffer.from(plain.subarray(4, 6)).reverse(),
      Buffer.from(plain.subarray(6, 8)).reverse(),
      plain.subarray(8),
    ]);
    assert.deepEqual(tag, dotnetOrder);
    assert.notDeepEqual(tag, plain);

    // $management takes the token in string order (what the SDK sends); the raw tag is not it.
    const renewed = await client.management('wire-lock', 'com.microsoft:renew-lock', {
      'lock-tokens': types.wrap_array([plain], 0x98),
    });
    assert.equal(renewed.application_properties?.statusCode, 200);
    const wrongOrder = await client.management('wire-lock', 'com.microsoft:renew-lock', {
      'lock-tokens': types.wrap_array([tag], 0x98),
    });
    assert.equal(wrongOrder.application_properties?.statusCode, 410);
    assert.equal(
      wrongOrder.application_properties?.errorCondition,
      'com.microsoft:message-lock-lost',
    );
    delivery.update(true, (rhea.message.accepted() as Any).described());
    receiver.close();
  });

  it('sends the session lock expiry as a long of .NET ticks', async () => {
    await sendRaw(
      'wire-session',
      rhea.message.encode({ message_id: 's-1', group_id: 'g', body: 'x' }),
    );
    await client.putToken('wire-session');
    const before = Date.now();
    const receiver = client.connection.open_receiver({
      source: { address: 'wire-session', filter: { 'com.microsoft:session-filter': 'g' } },
      autoaccept: false,
      rcv_settle_mode: 1,
      credit_window: 0,
    });
    await once(receiver, 'receiver_open');

    const ticks = receiver.remote.attach.properties['com.microsoft:locked-until-utc'];
    assert.ok(Buffer.isBuffer(ticks) && ticks.length === 8, 'a long above 2^53 arrives as 8 bytes');
    const lockedUntilMs = Number((ticks.readBigInt64BE(0) - EPOCH_TICKS) / 10000n);
    assert.ok(lockedUntilMs >= before + 29_000 && lockedUntilMs <= Date.now() + 30_000 + 1000);
    assert.equal(receiver.remote.attach.source.filter['com.microsoft:session-filter'], 'g');
    receiver.close();
  });

  it('answers a drain of the largest credit at once, with the credit given up', async () => {
    await client.putToken('wire-drain');
    const receiver = client.connection.open_receiver({
      source: { address: 'wire-drain' },
      autoaccept: false,
      credit_window: 0,
    });
    await once(receiver, 'receiver_open');

    // AMQP credit is a uint: 2^32 - 1 is the most a client can grant. Before the fix the
    // emulator gave it up one unit at a time and stalled every client for many seconds.
    receiver.add_credit(2 ** 32 - 1);
    const startedAt = Date.now();
    receiver.drain_credit();
    await once(receiver, 'receiver_drained');
    const drainedAfterMs = Date.now() - startedAt;

    assert.ok(drainedAfterMs < 1000, `drained after ${drainedAfterMs} ms`);
    assert.equal(receiver.credit, 0, 'the flow that answers the drain leaves no credit');
    receiver.close();
  });
});
