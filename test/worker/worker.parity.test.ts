import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusClient, ServiceBusMessage } from '@azure/service-bus';

import { type ProbeHarness, startProbeHarness, stopProbeHarness } from './probeHarness';
import { callsFor, probe, waitFor } from './support';

// The parity matrix, bodies and trigger metadata: real messages sent with @azure/service-bus to
// the emulator, received by the worker, handed to the probe app's handler through the library.
// Expected values are the host's documented behaviour (shared notes, section 3).

let harness: ProbeHarness;
let names: ProbeHarness['names'];
let client: ServiceBusClient;
let log: ProbeHarness['log'];

before(async () => {
  harness = await startProbeHarness('parity', { shutdownGraceMs: 25_000 });
  ({ names, client, log } = harness);
});

after(() => stopProbeHarness(harness));

let counter = 0;
async function deliver(
  message: ServiceBusMessage | AmqpAnnotatedMessage,
  queue = names.queue,
  fn = 'probeQueue',
) {
  counter += 1;
  const messageId = `parity-${counter}`;
  const sender = client.createSender(queue);
  const withId =
    'bodyType' in message && message.bodyType !== undefined
      ? { ...message, properties: { ...(message as AmqpAnnotatedMessage).properties, messageId } }
      : { ...message, messageId };
  await sender.sendMessages(withId as ServiceBusMessage);
  await sender.close();
  const [call] = await waitFor(`the handler to receive ${messageId}`, () => {
    const calls = callsFor(fn, messageId);
    return calls.length > 0 ? calls : undefined;
  });
  assert.ok(call !== undefined);
  return call;
}

describe('worker parity: body', () => {
  const raw = (text: string) => ({ body: Buffer.from(text, 'utf8') });
  const cases: Array<[string, ServiceBusMessage | AmqpAnnotatedMessage, unknown]> = [
    [
      'a JSON object (sent by the SDK) arrives parsed',
      { body: { orderId: 7, lines: [1, 2] } },
      { orderId: 7, lines: [1, 2] },
    ],
    ['a JSON array arrives parsed', { body: [1, 'two'] }, [1, 'two']],
    ['number-like text arrives as a number', raw('123'), 123],
    ['boolean-like text arrives as a boolean', raw('false'), false],
    ['non-JSON text arrives as a string', raw('plain text, not JSON'), 'plain text, not JSON'],
    ['an empty body arrives as an empty string', raw(''), ''],
    [
      'invalid UTF-8 arrives decoded lossily',
      { body: Buffer.from([0x68, 0xc3, 0x28, 0x69]) },
      'h\uFFFD(i',
    ],
    ['a string the SDK sends (JSON-encoded) arrives as that string', { body: 'hello' }, 'hello'],
    [
      'a string in an AMQP value section arrives as the string',
      { body: 'from a value section', bodyType: 'value' },
      'from a value section',
    ],
  ];
  for (const [name, message, expected] of cases) {
    it(name, async () => {
      const call = await deliver(message);

      assert.deepEqual(call.message, expected);
    });
  }

  it("dataType 'binary' hands over the exact bytes", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);

    const call = await deliver({ body: bytes }, names.binaryQueue, 'probeBinary');

    assert.equal(call.isBuffer, true);
    assert.deepEqual([...(call.message as Buffer)], [...bytes]);
  });
});

describe('worker parity: trigger metadata', () => {
  it('carries deliveryCount from 1, broker fields, camel-cased property keys', async () => {
    const call = await deliver({
      body: { n: 1 },
      correlationId: 'corr-7',
      subject: 'order.created',
      contentType: 'application/json',
      replyTo: 'replies',
      to: 'someone',
      applicationProperties: { Tenant: 'contoso', retries: 3, urgent: true },
    });
    const metadata = call.triggerMetadata;

    assert.equal(metadata.deliveryCount, 1);
    assert.equal(metadata.correlationId, 'corr-7');
    assert.equal(metadata.subject, 'order.created');
    assert.equal(metadata.label, 'order.created');
    assert.equal(metadata.contentType, 'application/json');
    assert.equal(metadata.replyTo, 'replies');
    assert.equal(metadata.to, 'someone');
    assert.deepEqual(metadata.applicationProperties, {
      tenant: 'contoso',
      retries: 3,
      urgent: true,
    });
    assert.equal(typeof metadata.sequenceNumber, 'number');
    assert.match(String(metadata.lockToken), /^[0-9a-f-]{36}$/i);
    const netDateText = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?$/;
    assert.match(String(metadata.enqueuedTimeUtc), netDateText);
    assert.match(String(metadata.enqueuedTime), /\+00:00$/);
    assert.equal(metadata.n, 1, 'the body property is merged in');
    assert.equal('sessionId' in metadata, false);
  });

  it('a number-like correlation id arrives as a number, as the library parses it', async () => {
    const call = await deliver({ body: 'x', correlationId: '2024' });

    assert.equal(call.triggerMetadata.correlationId, 2024);
  });

  it('an AMQP uuid id arrives as the dashed GUID the .NET client shows and logs', async () => {
    // The SDK sends a Buffer id as an AMQP uuid (16 bytes, zero-padded). The .NET client's
    // Guid.ToString() of it is lowercase and dashed, its hex digits in wire order.
    const sender = client.createSender(names.queue);
    await sender.sendMessages({
      body: 'uuid ids',
      messageId: Buffer.from([1, 2, 3]),
      correlationId: Buffer.from(Array.from({ length: 16 }, (_, i) => i)),
    });
    await sender.close();

    const call = await waitFor('the handler to receive the uuid-id message', () =>
      probe().calls.find(
        (c) => c.triggerMetadata.messageId === '01020300-0000-0000-0000-000000000000',
      ),
    );
    assert.equal(call.triggerMetadata.correlationId, '00010203-0405-0607-0809-0a0b0c0d0e0f');
    const line = await waitFor('the invocation log line', () =>
      log.lines().find((l) => l.invocationId === call.invocationId && l.outcome !== undefined),
    );
    assert.equal(line.messageId, '01020300-0000-0000-0000-000000000000');
  });

  it('the trigger options the handler sees are the registered binding', async () => {
    const call = await deliver({ body: 'options' });

    assert.equal(call.trigger.type, 'serviceBusTrigger');
    assert.equal(call.trigger.queueName, '%PROBE_QUEUE%');
    assert.equal(call.trigger.connection, 'ProbeConnection');
    assert.equal(call.trigger.direction, 'in');
  });

  it('a Diagnostic-Id property becomes the parent of the trace context', async () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    const call = await deliver({
      body: 'trace',
      applicationProperties: { 'Diagnostic-Id': parent },
    });

    assert.match(
      call.traceContext?.traceParent ?? '',
      /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/,
    );
  });

  it('logs each invocation: function, ids, delivery count, duration, outcome', async () => {
    const call = await deliver({ body: Buffer.from('secret-body-marker') });

    const line = await waitFor('the invocation log line', () =>
      log.lines().find((l) => l.invocationId === call.invocationId && l.outcome !== undefined),
    );
    assert.equal(line.function, 'probeQueue');
    assert.equal(line.messageId, call.triggerMetadata.messageId);
    assert.equal(line.deliveryCount, 1);
    assert.equal(line.outcome, 'succeeded');
    assert.equal(line.settlement, 'complete');
    assert.equal(typeof line.durationMs, 'number');
    assert.ok(
      log
        .lines()
        .some(
          (l) =>
            l.invocationId === call.invocationId &&
            l.msg === `probe handled ${String(call.triggerMetadata.messageId)}` &&
            l.category === 'user',
        ),
    );
    assert.ok(
      !JSON.stringify(log.lines()).includes('secret-body-marker'),
      'no message body in the logs',
    );
    assert.ok(!JSON.stringify(log.lines()).includes('SAS_KEY_VALUE'), 'no key in the logs');
  });
});
