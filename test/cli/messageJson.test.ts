import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';

import {
  parseMessageJson,
  toMessageJson,
  type MessageJson,
} from '../../src/cli/operator/messageJson';
import { fromMessageJson } from '../../src/cli/operator/messageToSend';

/** A received message as the SDK builds it with `skipParsingBodyAsJson: true`. */
function received(
  fields: Partial<ServiceBusReceivedMessage> & { bodyType?: string },
): ServiceBusReceivedMessage {
  const { bodyType = 'data', ...rest } = fields;
  return {
    body: Buffer.from(''),
    state: 'active',
    deliveryCount: 0,
    _rawAmqpMessage: { body: rest.body, bodyType },
    ...rest,
  } as unknown as ServiceBusReceivedMessage;
}

describe('message JSON shape', () => {
  it('prints exact JSON bytes as a JSON body', () => {
    const json = toMessageJson(received({ body: Buffer.from('{"orderId":"536365","n":[1,2]}') }));
    assert.equal(json.bodyEncoding, 'json');
    assert.deepEqual(json.body, { orderId: '536365', n: [1, 2] });
  });

  it('tags a uuid message id, with the dashed GUID that the worker logs as its value', () => {
    const uuid = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
    const json = toMessageJson(received({ messageId: uuid, correlationId: uuid }));
    const tagged = { type: 'uuid', value: '01020304-0506-0708-090a-0b0c0d0e0f10' };
    assert.deepEqual(json.messageId, tagged);
    assert.deepEqual(json.correlationId, tagged);
  });

  it('keeps JSON with spacing as text, so the bytes survive', () => {
    const json = toMessageJson(received({ body: Buffer.from('{ "a": 1 }') }));
    assert.equal(json.bodyEncoding, 'text');
    assert.equal(json.body, '{ "a": 1 }');
  });

  it('prints bytes that are not UTF-8 as base64', () => {
    const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x10]);
    const json = toMessageJson(received({ body: bytes }));
    assert.equal(json.bodyEncoding, 'base64');
    assert.equal(json.body, bytes.toString('base64'));
  });

  it('moves the dead-letter reason out of the application properties', () => {
    const json = toMessageJson(
      received({
        body: Buffer.from('1'),
        applicationProperties: {
          DeadLetterReason: 'MaxDeliveryCountExceeded',
          DeadLetterErrorDescription: 'tried 10 times',
          tenant: 'a',
        },
        deadLetterReason: 'MaxDeliveryCountExceeded',
        deadLetterErrorDescription: 'tried 10 times',
      }),
    );
    assert.deepEqual(json.applicationProperties, { tenant: 'a' });
    assert.equal(json.deadLetterReason, 'MaxDeliveryCountExceeded');
    assert.equal(json.deadLetterErrorDescription, 'tried 10 times');
  });

  it('sends each body encoding as the bytes it printed', () => {
    const cases: [MessageJson, Buffer][] = [
      [{ bodyEncoding: 'json', body: { a: 1 } }, Buffer.from('{"a":1}')],
      [{ body: 'hi' }, Buffer.from('"hi"')],
      [{ bodyEncoding: 'text', body: '{ "a": 1 }' }, Buffer.from('{ "a": 1 }')],
      [{ bodyEncoding: 'base64', body: '/wDDKBA=' }, Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x10])],
    ];
    for (const [json, bytes] of cases) {
      const message = fromMessageJson(json) as ServiceBusMessage;
      const sent = Buffer.isBuffer(message.body)
        ? message.body
        : Buffer.from(JSON.stringify(message.body));
      assert.deepEqual(sent, bytes, `${json.bodyEncoding ?? 'json'} body`);
    }
  });

  it('round-trips properties and leaves broker fields out of what is sent', () => {
    const original = received({
      body: Buffer.from('{"a":1}'),
      messageId: 'm-1',
      contentType: 'application/json',
      correlationId: 'c-1',
      subject: 'Order',
      sessionId: 's-1',
      replyTo: 'replies',
      to: 'orders',
      timeToLive: 60_000,
      applicationProperties: { tenant: 'a', attempt: 2, urgent: true },
      deliveryCount: 4,
    });

    const line = JSON.stringify(toMessageJson(original));
    const message = fromMessageJson(parseMessageJson(line)) as ServiceBusMessage &
      Record<string, unknown>;
    assert.deepEqual(message, {
      body: { a: 1 },
      messageId: 'm-1',
      contentType: 'application/json',
      correlationId: 'c-1',
      subject: 'Order',
      sessionId: 's-1',
      replyTo: 'replies',
      to: 'orders',
      timeToLive: 60_000,
      applicationProperties: { tenant: 'a', attempt: 2, urgent: true },
    });
  });

  it('writes value and sequence bodies back into their own AMQP section', () => {
    const json = toMessageJson(
      received({ body: 'a string value', bodyType: 'value', messageId: 'v' }),
    );
    assert.equal(json.bodyType, 'value');
    const message = fromMessageJson(json) as {
      bodyType?: string;
      body: unknown;
      properties?: object;
    };
    assert.equal(message.bodyType, 'value');
    assert.equal(message.body, 'a string value');
    assert.deepEqual(message.properties, { messageId: 'v' });
  });

  it('names the field that makes a line invalid', () => {
    assert.throws(
      () => parseMessageJson('{"body":1,"bodyEncoding":"hex"}'),
      /^Error: bodyEncoding/,
    );
    assert.throws(() => parseMessageJson('{"subject":"x"}'), /body: missing/);
    assert.throws(() => parseMessageJson('not json'), /not JSON/);
    assert.throws(
      () => parseMessageJson('{"bodyEncoding":"base64","body":"no spaces allowed"}'),
      /^Error: body: not valid base64$/,
    );
    assert.throws(
      () => fromMessageJson({ bodyEncoding: 'base64', body: 'no spaces allowed' }),
      /base64/,
    );
  });
});
