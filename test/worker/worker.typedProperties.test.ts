import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { types } from 'rhea';

import { described, wrapLong, wrapUlong } from '../support/amqpValues';
import { emulatorForSuite } from '../support/emulator';
import { spawnWorker, stopWorkerProcess, waitFor } from './support';
import { indexApp, recordedJson, tempApp } from './tempApp';

// Application properties of every AMQP type a .NET sender writes, through a worker process.
// The host's .NET client reads them into .NET values (Azure.Messaging.ServiceBus
// AmqpMessageConverter: uuid → Guid, long → long, ulong → ulong, float → float,
// char → char, timestamp → DateTime (UTC), binary → byte[], symbol → string, and the
// described `com.microsoft:` uri, timespan and datetime-offset → Uri, TimeSpan,
// DateTimeOffset; other described values are left out) and sends the dictionary serialised
// with Json.NET's defaults.
// The library JSON.parses that text, so a long past 2^53 reaches the handler rounded.

const TYPED_APP = indexApp([
  `const { writeFileSync } = require('node:fs');`,
  `const { join } = require('node:path');`,
  `const { app } = require('@azure/functions');`,
  `const record = (name, value) =>`,
  `  writeFileSync(join(__dirname, name + '.json'), JSON.stringify(value));`,
  `app.serviceBusQueue('typedOne', { connection: 'TpConnection', queueName: 'tp-one',`,
  `  handler: async (body, context) =>`,
  `    record('one', context.triggerMetadata.applicationProperties) });`,
  `app.serviceBusQueue('typedMany', { connection: 'TpConnection', queueName: 'tp-many',`,
  `  cardinality: 'many', handler: async (bodies, context) =>`,
  `    record('many', context.triggerMetadata.applicationPropertiesArray) });`,
]);

const GUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
/** 2026-01-31T09:00:00Z as .NET ticks (100 ns since 0001-01-01), and 5 s as TimeSpan ticks. */
const TICKS = (BigInt(Date.UTC(2026, 0, 31, 9)) + 62_135_596_800_000n) * 10_000n;
const FIVE_SECONDS_TICKS = 50_000_000n;

const sentProperties = {
  uuid: types.wrap_uuid(Buffer.from(GUID.replace(/-/g, ''), 'hex')),
  longMax: wrapLong(2n ** 63n - 1n),
  longNegative: wrapLong(-9_007_199_254_740_993n),
  ulongMax: wrapUlong(2n ** 64n - 1n),
  offset: described('com.microsoft:datetime-offset', wrapLong(TICKS)),
  span: described('com.microsoft:timespan', wrapLong(FIVE_SECONDS_TICKS)),
  link: described('com.microsoft:uri', types.wrap_string('https://example.com/orders?id=7')),
  unknown: described('com.example:other', types.wrap_string('left out')),
  float: types.wrap_float(1.1),
  char: types.wrap_char(65),
  notANumber: types.wrap_double(NaN),
  time: types.wrap_timestamp(Date.parse('2026-01-31T09:00:00.120Z')),
  bytes: types.wrap_binary(Buffer.from([0, 1, 255])),
  symbol: types.wrap_symbol('gold'),
  text: 'north',
};

/** What the handler sees: Json.NET's default text for each .NET value, then JSON.parse. */
const expected = {
  uuid: GUID, // Guid: "D" format, lower case
  longMax: JSON.parse('9223372036854775807') as number, // long: every digit, then rounded
  longNegative: JSON.parse('-9007199254740993') as number,
  ulongMax: JSON.parse('18446744073709551615') as number,
  offset: '2026-01-31T09:00:00+00:00', // DateTimeOffset: ISO, fraction trimmed, offset
  span: '00:00:05', // TimeSpan: its invariant ToString(), [-][d.]hh:mm:ss[.fffffff]
  link: 'https://example.com/orders?id=7', // Uri: its OriginalString
  float: 1.1, // float: the shortest text that reads back as the same float ("R")
  char: 'A', // char: a one-character string
  notANumber: 'NaN', // double NaN: a string (FloatFormatHandling.String)
  time: '2026-01-31T09:00:00.12Z', // DateTime, kind Utc
  bytes: 'AAH/', // byte[]: base64
  symbol: 'gold',
  text: 'north',
};

describe('typed application properties in trigger metadata (worker process)', () => {
  const appDir = tempApp(TYPED_APP);

  const suite = emulatorForSuite({ queues: ['tp-one', 'tp-many'] });

  it("arrive as the host's .NET values serialised by Json.NET, single and batch", async () => {
    for (const queue of ['tp-one', 'tp-many']) {
      const sender = suite.client.createSender(queue);
      await sender.sendMessages({ body: 'x', applicationProperties: sentProperties as never });
      await sender.close();
    }

    const worker = spawnWorker(appDir, { TpConnection: suite.emulator.connectionString });
    try {
      const one = await waitFor('the single invocation', () => recordedJson(appDir, 'one'), 15_000);
      const many = await waitFor(
        'the batch invocation',
        () => recordedJson(appDir, 'many'),
        15_000,
      );

      assert.deepEqual(one, expected);
      assert.deepEqual(many, [expected]);
    } finally {
      await stopWorkerProcess(worker);
    }
  });
});
