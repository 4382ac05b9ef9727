import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type {
  ServiceBusClient,
  ServiceBusMessage,
  ServiceBusReceivedMessage,
} from '@azure/service-bus';
import Long from 'long';
import { types } from 'rhea';

import { onMessageDecoded } from '../../src/shared/rheaMessageDecode';
import { sendAndDeadLetter } from './deadLetters';
import { cliEmulatorFor } from './cliEmulator';
import { emptyFolder } from './runCli';

// What an AMQP peer (a .NET sender) puts in application properties, one of each type.
const GUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
const TIME = '2026-01-31T09:00:00.123Z';
const sentProperties = {
  text: 'north',
  yes: true,
  nothing: null,
  ubyte: types.wrap_ubyte(200),
  ushort: types.wrap_ushort(60_000),
  uint: types.wrap_uint(4_000_000_000),
  ulong: types.wrap_ulong(Buffer.from('ffffffffffffffff', 'hex')),
  byte: types.wrap_byte(-100),
  short: types.wrap_short(-30_000),
  int: types.wrap_int(5),
  negativeInt: types.wrap_int(-5),
  long: types.wrap_long(Buffer.from('0020000000000001', 'hex')),
  smallLong: types.wrap_long(5),
  float: types.wrap_float(1.5),
  double: types.wrap_double(2),
  fraction: types.wrap_double(2.5),
  timestamp: types.wrap_timestamp(Date.parse(TIME)),
  uuid: types.wrap_uuid(Buffer.from(GUID.replace(/-/g, ''), 'hex')),
  binary: types.wrap_binary(Buffer.from([0, 1, 255])),
  symbol: types.wrap_symbol('gold'),
  map: types.wrap_map({ a: types.wrap_int(1), b: 'x' }),
  list: types.wrap_list([types.wrap_long(7), 'y']),
};

/** The JSON the documented rules give for each (README "Operator CLI", property types). */
const expectedJson = {
  text: 'north',
  yes: true,
  nothing: null,
  ubyte: { type: 'ubyte', value: 200 },
  ushort: { type: 'ushort', value: 60000 },
  uint: 4000000000,
  ulong: { type: 'ulong', value: '18446744073709551615' },
  byte: { type: 'byte', value: -100 },
  short: { type: 'short', value: -30000 },
  int: { type: 'int', value: 5 },
  negativeInt: -5,
  long: { type: 'long', value: '9007199254740993' },
  smallLong: { type: 'long', value: '5' },
  float: { type: 'float', value: 1.5 },
  double: { type: 'double', value: 2 },
  fraction: 2.5,
  timestamp: { type: 'timestamp', value: TIME },
  uuid: { type: 'uuid', value: GUID },
  binary: { type: 'binary', value: 'AAH/' },
  symbol: { type: 'symbol', value: 'gold' },
  map: {
    type: 'map',
    value: [
      ['a', { type: 'int', value: 1 }],
      ['b', 'x'],
    ],
  },
  list: { type: 'list', value: [{ type: 'long', value: '7' }, 'y'] },
};

/** The AMQP type of each property on the wire, as rhea's plain Reader names its encodings. */
const expectedWireTypes = {
  text: 'Str',
  yes: 'Boolean',
  nothing: 'Null',
  ubyte: 'Ubyte',
  ushort: 'Ushort',
  uint: 'Uint',
  ulong: 'Ulong',
  byte: 'Byte',
  short: 'Short',
  int: 'Int',
  negativeInt: 'Int',
  long: 'Long',
  smallLong: 'Long',
  float: 'Float',
  double: 'Double',
  fraction: 'Double',
  timestamp: 'Timestamp',
  uuid: 'Uuid',
  binary: 'Vbin',
  symbol: 'Sym',
  map: 'Map',
  list: 'List',
};

/** rhea names compact encodings apart (SmallUint, Uint0, Str8, True); the type is one. */
function amqpTypeName(rheaName: string): string {
  if (rheaName === 'True' || rheaName === 'False') return 'Boolean';
  return rheaName.replace(/^Small/, '').replace(/(0|8|32)$/, '');
}

/** Every message this test process decodes, by message id: its bytes. */
const wireBytes = new Map<string, Buffer>();
onMessageDecoded((decoded, bytes) => {
  const id = (decoded as { message_id?: unknown }).message_id;
  if (typeof id === 'string') wireBytes.set(id, bytes);
});

interface RheaReader {
  read(): unknown;
  remaining(): number;
}

/** The application properties section of a message's bytes, read with rhea's plain Reader. */
function wireTypes(bytes: Buffer): Record<string, string> {
  const { Reader } = types as unknown as { Reader: new (bytes: Buffer) => RheaReader };
  const reader = new Reader(bytes);
  while (reader.remaining() > 0) {
    const section = reader.read() as unknown as { descriptor: { value: unknown }; value: never[] };
    if (section.descriptor.value !== 0x74) continue;
    const items = section.value as { type: { name: string }; value: unknown }[];
    const result: Record<string, string> = {};
    for (let i = 0; i + 1 < items.length; i += 2) {
      result[String(items[i]!.value)] = amqpTypeName(items[i + 1]!.type.name);
    }
    return result;
  }
  return {};
}

/**
 * The queue's messages, taken out; dates and Buffers as rhea decoded them (without
 * `skipConvertingDate` the SDK turns a Buffer inside the properties into a plain object).
 */
async function drain(
  client: ServiceBusClient,
  queue: string,
): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(queue, {
    receiveMode: 'receiveAndDelete',
    skipConvertingDate: true,
  });
  try {
    return await receiver.receiveMessages(10, { maxWaitTimeInMs: 1000 });
  } finally {
    await receiver.close();
  }
}

function withoutReplayStamps(properties: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...properties };
  for (const name of Object.keys(copy)) if (name.startsWith('Replayed')) delete copy[name];
  return copy;
}

describe('application property types through the CLI, against the emulator', () => {
  const fx = cliEmulatorFor({
    queues: [
      { name: 'typed-replay', maxDeliveryCount: 1 },
      { name: 'typed-json', maxDeliveryCount: 1 },
      { name: 'typed-resend' },
      { name: 'typed-odd', maxDeliveryCount: 1 },
    ],
  });

  const typedMessage = (messageId: string): ServiceBusMessage => ({
    messageId,
    body: 'order',
    applicationProperties: sentProperties as unknown as ServiceBusMessage['applicationProperties'],
  });

  it('replays a letter whose copy keeps every AMQP type and value', async () => {
    await sendAndDeadLetter(fx.client, 'typed-replay', [typedMessage('typed-1')]);

    const replayed = await fx.cli(['dlq', 'replay', 'typed-replay', '--all']);
    assert.equal(replayed.exitCode, 0, replayed.stderr);

    wireBytes.delete('typed-1');
    const [copy, ...more] = await drain(fx.client, 'typed-replay');
    assert.equal(more.length, 0);
    const onWire = withoutReplayStamps(wireTypes(wireBytes.get('typed-1')!));
    assert.deepEqual(onWire, expectedWireTypes);
    // 2^53 + 1 is past what a double holds: the copy must carry the exact 8 bytes.
    assert.ok(wireBytes.get('typed-1')!.includes(Buffer.from('810020000000000001', 'hex')));

    const received = withoutReplayStamps(copy!.applicationProperties ?? {});
    delete received.long;
    assert.deepEqual(received, {
      text: 'north',
      yes: true,
      nothing: null,
      ubyte: 200,
      ushort: 60000,
      uint: 4000000000,
      ulong: Buffer.from('ffffffffffffffff', 'hex'),
      byte: -100,
      short: -30000,
      int: 5,
      negativeInt: -5,
      smallLong: 5,
      float: 1.5,
      double: 2,
      fraction: 2.5,
      timestamp: new Date(TIME),
      uuid: Buffer.from(GUID.replace(/-/g, ''), 'hex'),
      binary: Buffer.from([0, 1, 255]),
      symbol: 'gold',
      map: { a: 1, b: 'x' },
      list: [7, 'y'],
    });
  });

  it('prints tagged values in dlq show --json; send --file sends them back typed', async () => {
    await sendAndDeadLetter(fx.client, 'typed-json', [typedMessage('typed-2')]);

    const shown = await fx.cli(['dlq', 'show', 'typed-json', '--message-id', 'typed-2', '--json']);
    assert.equal(shown.exitCode, 0, shown.stderr);
    const line = JSON.parse(shown.stdout) as { applicationProperties: unknown };
    assert.deepEqual(line.applicationProperties, expectedJson);

    const file = join(emptyFolder(), 'letters.jsonl');
    writeFileSync(file, shown.stdout);
    const sent = await fx.cli(['send', 'typed-resend', '--file', file]);
    assert.equal(sent.exitCode, 0, sent.stderr);

    wireBytes.delete('typed-2');
    assert.equal((await drain(fx.client, 'typed-resend')).length, 1);
    assert.deepEqual(wireTypes(wireBytes.get('typed-2')!), expectedWireTypes);
    assert.ok(wireBytes.get('typed-2')!.includes(Buffer.from('810020000000000001', 'hex')));
  });

  it('refuses a plain number that JSON cannot hold exactly, naming the tagged long', async () => {
    const file = join(emptyFolder(), 'big.jsonl');
    writeFileSync(file, '{"applicationProperties":{"n":9007199254740993},"body":"x"}\n');

    const sent = await fx.cli(['send', 'typed-resend', '--file', file]);

    assert.equal(sent.exitCode, 1, sent.stdout);
    assert.match(sent.stderr, /line 1: applicationProperties\.n: .*"type":"long"/);
  });

  it('keeps working on a queue holding a letter with a JavaScript Long object in it', async () => {
    // A JS sender that put a `long` package Long in the properties: the SDK sent its fields,
    // methods included, as an AMQP map whose "toString" entry is itself a map.
    const odd: ServiceBusMessage = {
      messageId: 'odd',
      body: 'odd',
      applicationProperties: {
        count: Long.fromNumber(5) as unknown as number,
      },
    };
    const fine: ServiceBusMessage = { messageId: 'fine', body: 'fine', applicationProperties: {} };
    await sendAndDeadLetter(fx.client, 'typed-odd', [odd, fine]);

    const listed = await fx.cli(['dlq', 'list', 'typed-odd']);
    assert.equal(listed.exitCode, 0, listed.stderr);
    assert.match(listed.stdout, /odd/);

    const shownOdd = await fx.cli(['dlq', 'show', 'typed-odd', '--message-id', 'odd']);
    assert.equal(shownOdd.exitCode, 0, shownOdd.stderr);
    assert.match(shownOdd.stdout, /^property count: \{"type":"map","value":\[\["low",5\]/m);

    const shown = await fx.cli(['dlq', 'show', 'typed-odd', '--message-id', 'fine', '--json']);
    assert.equal(shown.exitCode, 0, shown.stderr);

    wireBytes.delete('odd');
    const replayed = await fx.cli(['dlq', 'replay', 'typed-odd', '--message-id', 'odd']);
    assert.equal(replayed.exitCode, 0, replayed.stderr);
    const [copy] = await drain(fx.client, 'typed-odd');
    assert.equal(copy?.messageId, 'odd');
    assert.equal(wireTypes(wireBytes.get('odd')!).count, 'Map');
    assert.equal((copy?.applicationProperties?.count as unknown as { low: number }).low, 5);

    const left = await fx.cli(['dlq', 'replay', 'typed-odd', '--message-id', 'fine']);
    assert.equal(left.exitCode, 0, left.stderr);
  });
});
