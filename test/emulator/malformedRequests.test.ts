import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { collectingLogger } from '../support/collectingLogger';
import { startTestEmulator, testClient } from '../support/emulator';
import { RawPeer, amqpFrame, encodeMessage, flowWindow } from '../support/rawAmqp';
import { signSasToken } from '../support/sasToken';

const QUEUE = 'malformed-requests';
const MANAGEMENT = `${QUEUE}/$management`;

/** A raw peer with a token for the queue and a sending link (handle 2) to its $management. */
async function managementPeer(port: number): Promise<RawPeer> {
  const peer = await RawPeer.open(port);
  await peer.authorise(port, QUEUE);
  peer.attach(2, 'mgmt-out', false, MANAGEMENT);
  if (!(await peer.waitFor('flow', 5000, 2))) throw new Error('no credit on $management');
  return peer;
}

/** Sends a request unsettled on `handle`; the peer's delivery ids go 1, 2, ... */
function sendRequest(peer: RawPeer, handle: number, deliveryId: number, request: object): void {
  const tag = Buffer.from(`request-${deliveryId}`);
  peer.write(
    amqpFrame(
      'transfer',
      { handle, delivery_id: deliveryId, delivery_tag: tag, message_format: 0, settled: false },
      encodeMessage(request),
    ),
  );
}

/** A schedule-message request for one message with this body. */
function scheduleRequest(body: string, replyTo?: string): object {
  const inner = encodeMessage({
    message_id: body,
    message_annotations: { 'x-opt-scheduled-enqueue-time': new Date(Date.now() + 3_600_000) },
    body,
  });
  return {
    message_id: `schedule-${body}`,
    ...(replyTo === undefined ? {} : { reply_to: replyTo }),
    application_properties: { operation: 'com.microsoft:schedule-message' },
    body: { messages: [{ message: inner, 'message-id': body }] },
  };
}

/** A put-token request for QUEUE, signed with the development key, naming no reply_to. */
function putTokenWithoutReplyTo(port: number, messageId: string): object {
  const audience = `sb://localhost:${port}/${QUEUE}`;
  const { name, key } = DEVELOPMENT_POLICY;
  const token = signSasToken(audience, Math.floor(Date.now() / 1000) + 600, name, key);
  return {
    message_id: messageId,
    application_properties: { operation: 'put-token', name: audience },
    body: token,
  };
}

/** The outcome of the first disposition the server sent, by name, and its error. */
async function waitForDisposition(peer: RawPeer): Promise<string> {
  assert.ok(await peer.waitFor('disposition'), `got ${peer.received.join(', ')}`);
  const state = peer.dispositionStates[0] as { descriptor?: { value?: unknown } };
  return `${String(state.descriptor?.value)} ${JSON.stringify(state)}`;
}

describe('emulator: requests that cannot be answered are refused, not carried out', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;
  const logger = collectingLogger();

  before(async () => {
    emulator = await startTestEmulator({ queues: [QUEUE] }, { logger });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('rejects a $management request without reply-to and schedules nothing', async () => {
    const peer = await managementPeer(emulator.port);

    sendRequest(peer, 2, 1, scheduleRequest('no-reply-to'));

    // AMQP 1.0 3.4.3: the rejected outcome (descriptor 0x25) with the error it carries.
    const state = await waitForDisposition(peer);
    assert.match(state, /amqp:precondition-failed/);
    assert.match(state, /^37 /);
    const peeked = await client.createReceiver(QUEUE).peekMessages(10);
    assert.deepEqual(
      peeked.map((message) => message.body),
      [],
    );
    assert.ok(logger.warnings.some((line) => line.message.includes('without a reply link')));
    peer.destroy();
  });

  it('rejects a $management request whose reply-to names no attached link', async () => {
    const peer = await managementPeer(emulator.port);

    sendRequest(peer, 2, 1, scheduleRequest('unknown-reply-to', 'nobody-listens-here'));

    assert.match(await waitForDisposition(peer), /amqp:precondition-failed/);
    const peeked = await client.createReceiver(QUEUE).peekMessages(10);
    assert.equal(peeked.length, 0);
    peer.destroy();
  });

  it('rejects a put-token without reply-to and grants nothing', async () => {
    const peer = await RawPeer.open(emulator.port);
    peer.attach(0, 'cbs-out', false, '$cbs');
    if (!(await peer.waitFor('flow'))) throw new Error('no credit on $cbs');

    sendRequest(peer, 0, 0, putTokenWithoutReplyTo(emulator.port, 'put-token-without-reply'));

    assert.match(await waitForDisposition(peer), /amqp:precondition-failed/);
    // Without the grant, a sender to the queue is refused (attached, then detached).
    peer.attach(1, 'queue-sender', false, QUEUE);
    assert.ok(await peer.waitFor('detach'), `got ${peer.received.join(', ')}`);
    peer.destroy();
  });

  it("answers a put-token without reply-to on the session's $cbs link (pyamqp)", async () => {
    // The Python SDK's AMQP layer names no reply_to, and attaches its receiving link with
    // source and target $cbs; it authenticates against Azure, which answers there.
    const peer = await RawPeer.open(emulator.port);
    peer.attach(0, 'cbs-out', false, '$cbs');
    peer.attach(1, 'cbs-in', true, '$cbs', '$cbs');
    peer.write(
      amqpFrame('flow', { ...flowWindow(), handle: 1, delivery_count: 0, link_credit: 5 }),
    );

    sendRequest(peer, 0, 0, putTokenWithoutReplyTo(emulator.port, 'put-token-pyamqp'));

    assert.ok(await peer.waitFor('transfer'), `got ${peer.received.join(', ')}`);
    const reply = peer.messages[0];
    assert.equal(reply?.application_properties?.['status-code'], 202);
    assert.equal(reply?.correlation_id, 'put-token-pyamqp');
    // With the grant, a sender to the queue gets credit.
    peer.attach(2, 'queue-sender', false, QUEUE);
    assert.ok(await peer.waitFor('flow', 5000, 2), `got ${peer.received.join(', ')}`);
    assert.ok(!peer.received.includes('detach'));
    peer.destroy();
  });

  describe('junk bodies get 400 naming the field', () => {
    const cases: [string, string, object, RegExp][] = [
      [
        'peek-message',
        'message-count',
        { 'from-sequence-number': 1, 'message-count': 'ten' },
        /message-count/,
      ],
      ['peek-message', 'from-sequence-number', { 'message-count': 1 }, /from-sequence-number/],
      ['renew-lock', 'lock-tokens', {}, /lock-tokens/],
      [
        'cancel-scheduled-message',
        'sequence-numbers',
        { 'sequence-numbers': 'one' },
        /sequence-numbers/,
      ],
      ['update-disposition', 'disposition-status', { 'lock-tokens': [] }, /disposition-status/],
    ];
    for (const [operation, field, body, named] of cases) {
      it(`answers ${operation} with a bad '${field}' with 400 and argument-error`, async () => {
        const peer = await managementPeer(emulator.port);
        peer.attach(3, 'mgmt-reply', true, 'mgmt-reply', MANAGEMENT);
        peer.grantCredit(3, 5);

        sendRequest(peer, 2, 1, {
          message_id: `junk-${operation}`,
          reply_to: 'mgmt-reply',
          application_properties: { operation: `com.microsoft:${operation}` },
          body,
        });

        assert.ok(await peer.waitFor('transfer', 5000, 2), `got ${peer.received.join(', ')}`);
        const reply = peer.messages[1]!;
        assert.equal(reply.correlation_id, `junk-${operation}`);
        assert.equal(reply.application_properties?.statusCode, 400);
        assert.equal(reply.application_properties?.errorCondition, 'com.microsoft:argument-error');
        assert.match(String(reply.application_properties?.statusDescription), named);
        peer.destroy();
      });
    }
  });
});
