import assert from 'node:assert/strict';

import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { RAW_BYTES, rhea, types } from '../../src/emulator/amqp/rhea';
import { startTestEmulator } from '../support/emulator';
import { once, RawClient, type Any } from '../support/rheaClient';

const EPOCH_TICKS = 621355968000000000n;

describe('emulator wire format for non-JavaScript clients', () => {
  let emulator: RunningEmulator;
  let client: RawClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        'wire-bytes',
        'wire-lock',
        'wire-drain',
        'wire-drain-wrap',
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

  const sendRaw = (queue: string, bytes: Buffer) => client.sendBytes(queue, bytes);
  const receiveOne = (queue: string) => client.receiveOne(queue);

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

  it('wraps the delivery count past 2^32 when a drain gives up a large credit', async () => {
    for (const id of ['w1', 'w2', 'w3', 'w4', 'w5']) {
      await sendRaw('wire-drain-wrap', rhea.message.encode({ message_id: id, body: id }));
    }
    // A connection of its own: before the fix the drain cut it without a close frame.
    const own = new RawClient();
    await own.open(emulator.port);
    await own.putToken('wire-drain-wrap');
    const receiver = own.connection.open_receiver({
      source: { address: 'wire-drain-wrap' },
      credit_window: 0,
    });
    await once(receiver, 'receiver_open');
    const received: string[] = [];
    receiver.on('message', (context: Any) => received.push(context.message.message_id));
    receiver.add_credit(5);
    while (received.length < 5) await once(receiver, 'message');

    // Delivery count 5 plus credit 2^32-1: a serial number (AMQP 1.0 §2.6.7) wraps to 4.
    receiver.add_credit(2 ** 32 - 1);
    receiver.drain_credit();
    const cut = once(own.connection, 'disconnected').then(() => 'cut');
    const drained = once(receiver, 'receiver_drained').then(() => 'drained');
    assert.equal(await Promise.race([drained, cut]), 'drained');
    assert.equal(receiver.delivery_count, 4);

    // Credit given after the wrap is counted from 4: a sixth message comes.
    await sendRaw('wire-drain-wrap', rhea.message.encode({ message_id: 'w6', body: 'w6' }));
    receiver.add_credit(1);
    await once(receiver, 'message');
    assert.deepEqual(received, ['w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
    await own.close();
  });
});
