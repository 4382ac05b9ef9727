import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { loadApp, type LoadedApp } from '../../src/worker/appLoader';
import { batchInputData, buildBatchTriggerMetadata } from '../../src/worker/batchInput';
import { invokeRegistered } from '../../src/worker/invoke';
import {
  buildTraceContext,
  buildTriggerMetadata,
  bodyAsHostString,
  type ReceivedMessageLike,
  triggerInputData,
} from '../../src/worker/triggerInput';
import { PROBE_APP, probe, type ProbeCall } from './support';

// These tests run the worker's input building through the @azure/functions library's own
// invocation model, so the values below are what a handler receives. Expected values come from
// the host's documented behaviour (shared notes, section 3 "What the Node handler receives").

const INFO = {
  isSessionsEnabled: false,
  fullyQualifiedNamespace: 'localhost',
  clientIdentifier: 'localhost-1',
};
let app: LoadedApp;

before(async () => {
  app = await loadApp(PROBE_APP, () => undefined);
});

function message(overrides: Partial<ReceivedMessageLike> = {}): ReceivedMessageLike {
  return {
    body: Buffer.from('{}'),
    _rawAmqpMessage: { bodyType: 'data' },
    messageId: 'c2f0e5b6-1f5e-4a4e-9a8e-2d8c7a9f0b11',
    deliveryCount: 0,
    lockToken: '6f1d2c3b-0000-4000-8000-000000000001',
    enqueuedTimeUtc: new Date('2024-05-01T10:20:30.120Z'),
    expiresAtUtc: new Date('2024-05-15T10:20:30.120Z'),
    sequenceNumber: 42,
    applicationProperties: {},
    ...overrides,
  };
}

async function receive(msg: ReceivedMessageLike, functionName = 'probeQueue'): Promise<ProbeCall> {
  const fn = app.registry.functions.get(functionName);
  assert.ok(fn !== undefined);
  const binary = functionName === 'probeBinary';
  const triggerName =
    Object.keys(fn.metadata.bindings).find((name) => name.startsWith('serviceBusTrigger')) ?? '';
  const data = triggerInputData(msg, binary ? 'binary' : undefined);
  const bodyText = binary || data === null ? null : bodyAsHostString(msg);
  const before = probe().calls.length;

  await invokeRegistered(
    app.registry,
    fn,
    {
      invocationId: 'inv-1',
      inputData: [{ name: triggerName, data }],
      triggerMetadata: buildTriggerMetadata(msg, INFO, bodyText),
      traceContext: buildTraceContext(msg),
    },
    () => undefined,
  );

  const call = probe().calls[before];
  assert.ok(call !== undefined, 'the handler ran');
  return call;
}

const text = (body: string): Partial<ReceivedMessageLike> => ({ body: Buffer.from(body, 'utf8') });

describe('trigger input through the library (body)', () => {
  const cases: Array<[string, Partial<ReceivedMessageLike>, unknown]> = [
    ['a JSON object arrives parsed', text('{"orderId":7,"items":[1]}'), { orderId: 7, items: [1] }],
    ['a JSON array arrives parsed', text('[1,"a",null]'), [1, 'a', null]],
    ['number-like text arrives as a number', text('123'), 123],
    ['boolean-like text arrives as a boolean', text('true'), true],
    ['the text null arrives as null', text('null'), null],
    ['a JSON string arrives unquoted', text('"hi"'), 'hi'],
    ['non-JSON text stays a string', text('hello world'), 'hello world'],
    ['an empty body stays an empty string', text(''), ''],
    [
      'invalid UTF-8 arrives decoded lossily',
      { body: Buffer.from([0x61, 0xff, 0x62]) },
      'a\uFFFDb',
    ],
    [
      'a string in an AMQP value section is used as the text',
      { body: 'plain', _rawAmqpMessage: { bodyType: 'value' } },
      'plain',
    ],
    [
      'number text in a value section goes through the same parsing',
      { body: '12', _rawAmqpMessage: { bodyType: 'value' } },
      12,
    ],
    [
      'no body at all arrives as undefined',
      { body: undefined, _rawAmqpMessage: { bodyType: 'value' } },
      undefined,
    ],
  ];
  for (const [name, overrides, expected] of cases) {
    it(name, async () => {
      const call = await receive(message(overrides));

      assert.deepEqual(call.message, expected);
    });
  }

  it('a value section that is not a string fails the invocation (the host cannot bind it)', () => {
    assert.throws(
      () =>
        triggerInputData(message({ body: 5, _rawAmqpMessage: { bodyType: 'value' } }), undefined),
      {
        code: 'UnsupportedMessageBody',
      },
    );
    assert.throws(
      () =>
        triggerInputData(
          message({ body: [[1]], _rawAmqpMessage: { bodyType: 'sequence' } }),
          undefined,
        ),
      {
        code: 'UnsupportedMessageBody',
      },
    );
  });

  it("dataType 'binary' gives the raw bytes as a Buffer and no body-derived metadata", async () => {
    const call = await receive(message(text('{"orderId":7}')), 'probeBinary');

    assert.equal(call.isBuffer, true);
    assert.deepEqual([...(call.message as Buffer)], [...Buffer.from('{"orderId":7}')]);
    assert.equal('orderId' in call.triggerMetadata, false);
  });
});

describe('trigger input through the library (triggerMetadata)', () => {
  it('counts deliveries from 1 as the host does, and formats dates like Json.NET', async () => {
    const call = await receive(message({ deliveryCount: 0 }));

    assert.equal(call.triggerMetadata.deliveryCount, 1);
    assert.equal(call.triggerMetadata.enqueuedTimeUtc, '2024-05-01T10:20:30.12');
    assert.equal(call.triggerMetadata.enqueuedTime, '2024-05-01T10:20:30.12+00:00');
    assert.equal(call.triggerMetadata.expiresAtUtc, '2024-05-15T10:20:30.12');
    assert.equal(call.triggerMetadata.expiresAt, '2024-05-15T10:20:30.12+00:00');
    assert.equal(call.triggerMetadata.sequenceNumber, 42);
  });

  it('writes a message without TTL as expiring at .NET MaxValue', async () => {
    const call = await receive(message({ expiresAtUtc: new Date(8640000000000000) }));

    assert.equal(call.triggerMetadata.expiresAtUtc, '9999-12-31T23:59:59.9999999');
    assert.equal(call.triggerMetadata.expiresAt, '9999-12-31T23:59:59.9999999+00:00');
  });

  it('has the single-message key set, with null-valued keys left out', async () => {
    const call = await receive(
      message({ subject: 'greeting', correlationId: 'corr-1', contentType: 'application/json' }),
    );

    assert.deepEqual(Object.keys(call.triggerMetadata).sort(), [
      'applicationProperties',
      'client',
      'contentType',
      'correlationId',
      'deliveryCount',
      'enqueuedTime',
      'enqueuedTimeUtc',
      'expiresAt',
      'expiresAtUtc',
      'label',
      'lockToken',
      'messageActions',
      'messageId',
      'messageReceiver',
      'receiveActions',
      'sequenceNumber',
      'subject',
      'userProperties',
    ]);
    assert.equal(call.triggerMetadata.label, 'greeting');
    assert.deepEqual(call.triggerMetadata.messageActions, {});
    assert.deepEqual(call.triggerMetadata.client, {
      fullyQualifiedNamespace: 'localhost',
      isClosed: false,
      transportType: 0,
      identifier: 'localhost-1',
    });
  });

  it('lower-cases the first letter of application property keys; dates as UTC text', async () => {
    const call = await receive(
      message({
        applicationProperties: {
          Priority: 'high',
          'Diagnostic-Id': 'x',
          already: 1,
          When: new Date('2024-01-02T03:04:05.000Z'),
        },
      }),
    );

    assert.deepEqual(call.triggerMetadata.applicationProperties, {
      priority: 'high',
      'diagnostic-Id': 'x',
      already: 1,
      when: '2024-01-02T03:04:05Z',
    });
    assert.deepEqual(
      call.triggerMetadata.userProperties,
      call.triggerMetadata.applicationProperties,
    );
  });

  it('parses number-like ids as numbers; leading-zero ids and GUIDs stay strings', async () => {
    assert.equal((await receive(message({ messageId: '123' }))).triggerMetadata.messageId, 123);
    const leadingZero = await receive(message({ messageId: '0123' }));
    assert.equal(leadingZero.triggerMetadata.messageId, '0123');
    assert.equal(
      (await receive(message({ messageId: 'c2f0e5b6-1f5e-4a4e-9a8e-2d8c7a9f0b11' })))
        .triggerMetadata.messageId,
      'c2f0e5b6-1f5e-4a4e-9a8e-2d8c7a9f0b11',
    );
  });

  it('adds session keys for session-enabled triggers and the session id', async () => {
    const fn = message({ sessionId: 'session-a', replyToSessionId: 'reply-b' });
    const metadata = buildTriggerMetadata(fn, { ...INFO, isSessionsEnabled: true }, null);

    assert.deepEqual(metadata.SessionId, { json: '"session-a"' });
    assert.deepEqual(metadata.ReplyToSessionId, { json: '"reply-b"' });
    assert.ok('SessionActions' in metadata && 'MessageSession' in metadata);
  });

  it("merges a JSON object body's top-level properties the host's way", async () => {
    const body = JSON.stringify({
      messageId: 'from-body',
      Count: 42,
      flag: true,
      ratio: 1.5,
      nested: { Inner: 1 },
      list: [1, 2],
      nothing: null,
      when: '2024-05-01T10:20:30Z',
    });

    const call = await receive(message(text(body)));

    assert.equal(
      call.triggerMetadata.messageId,
      'from-body',
      'a body property overwrites a system key',
    );
    assert.equal(call.triggerMetadata.count, 42);
    assert.equal(call.triggerMetadata.flag, 'True');
    assert.equal(call.triggerMetadata.ratio, 1.5);
    assert.deepEqual(call.triggerMetadata.nested, { inner: 1 });
    assert.equal('list' in call.triggerMetadata, false);
    assert.equal('nothing' in call.triggerMetadata, false);
    assert.equal(call.triggerMetadata.when, '05/01/2024 10:20:30');
  });

  it('merges nothing from arrays, non-JSON text or padded non-objects', async () => {
    const keys = (await receive(message())).triggerMetadata;
    for (const body of ['[{"a":1}]', 'a: 1', '{not json}']) {
      const call = await receive(message(text(body)));
      assert.deepEqual(Object.keys(call.triggerMetadata).sort(), Object.keys(keys).sort(), body);
    }
  });
});

// An AMQP uuid id reaches rhea as its 16 wire bytes. The .NET client reads them into a Guid
// with the first three groups big-endian (Microsoft.Azure.Amqp AmqpBitConverter.ReadUuid) and
// its string is Guid.ToString(): lowercase, dashed, the hex digits in wire order.
const UUID_WIRE_BYTES = Buffer.from([1, 2, 3, ...Array<number>(13).fill(0)]);
const UUID_TEXT = '01020300-0000-0000-0000-000000000000';
const SEQUENTIAL_WIRE_BYTES = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
const SEQUENTIAL_TEXT = '00010203-0405-0607-0809-0a0b0c0d0e0f';

describe('AMQP uuid message and correlation ids', () => {
  it('reach a single-message handler as the dashed GUID text', async () => {
    const call = await receive(
      message({ messageId: UUID_WIRE_BYTES, correlationId: SEQUENTIAL_WIRE_BYTES }),
    );

    assert.equal(call.triggerMetadata.messageId, UUID_TEXT);
    assert.equal(call.triggerMetadata.correlationId, SEQUENTIAL_TEXT);
  });

  it('reach a batch handler as the dashed GUID text in the *Array fields', async () => {
    const fn = app.registry.functions.get('probeBatch');
    assert.ok(fn !== undefined);
    const triggerName =
      Object.keys(fn.metadata.bindings).find((name) => name.startsWith('serviceBusTrigger')) ?? '';
    const messages = [
      message({ messageId: UUID_WIRE_BYTES, correlationId: SEQUENTIAL_WIRE_BYTES }),
      message({ messageId: 'plain-id', correlationId: UUID_WIRE_BYTES }),
    ];
    const before = probe().calls.length;

    await invokeRegistered(
      app.registry,
      fn,
      {
        invocationId: 'inv-batch',
        inputData: [{ name: triggerName, data: batchInputData(messages, undefined) }],
        triggerMetadata: buildBatchTriggerMetadata(messages, INFO),
        traceContext: buildTraceContext(message()),
      },
      () => undefined,
    );

    const call = probe().calls[before];
    assert.ok(call !== undefined, 'the handler ran');
    assert.deepEqual(call.triggerMetadata.messageIdArray, [UUID_TEXT, 'plain-id']);
    assert.deepEqual(call.triggerMetadata.correlationIdArray, [SEQUENTIAL_TEXT, UUID_TEXT]);
  });
});

describe('trace context', () => {
  it('continues the trace of a Diagnostic-Id or traceparent property with a new span', async () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    for (const key of ['Diagnostic-Id', 'traceparent']) {
      const call = await receive(
        message({ applicationProperties: { [key]: parent, tracestate: 'k=v' } }),
      );

      const [version, traceId, spanId, flags] = (call.traceContext?.traceParent ?? '').split('-');
      assert.equal(version, '00');
      assert.equal(traceId, '0af7651916cd43dd8448eb211c80319c');
      assert.match(spanId ?? '', /^[0-9a-f]{16}$/);
      assert.notEqual(spanId, 'b7ad6b7169203331');
      assert.equal(flags, '01');
      assert.equal(call.traceContext?.traceState, 'k=v');
    }
  });

  it('starts a new trace when the message carries none', async () => {
    const call = await receive(message());

    assert.match(call.traceContext?.traceParent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});
