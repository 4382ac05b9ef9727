import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { rhea, types, type Typed } from '../../src/emulator/amqp/rhea';
import { emulatorForSuite } from '../support/emulator';
import { once, RawClient, type Any } from '../support/rheaClient';

// Trial CM (Qpid Proton): the fields of the modified and rejected outcomes are all optional
// (AMQP 1.0 §3.4.2, §3.4.5). Proton's release() sends modified with null message-annotations;
// before the fix that closed the whole connection with amqp:internal-error.

const ANSWER_WAIT_MS = 5000;

const MODIFIED = 0x27;
const REJECTED = 0x25;
const ERROR = 0x1d;

/** An outcome as the client writes it: descriptor and fields, null where given as null. */
function outcome(code: number, fields: unknown[]): object {
  const list = fields.map((field) => (isTyped(field) ? field : types.wrap(field)));
  return types.described(types.wrap_ulong(code), types.wrap_list(list));
}

/** A connection closed over the settlement would leave the wait without an end. */
function withinWait<T>(answer: Promise<T>): Promise<T> {
  const timeout = new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error('no answer to the settlement')), ANSWER_WAIT_MS).unref();
  });
  return Promise.race([answer, timeout]);
}

function isTyped(value: unknown): value is Typed {
  return typeof value === 'object' && value !== null && 'type' in value;
}

describe('emulator outcomes whose optional fields are left out or null', () => {
  const suite = emulatorForSuite({
    queues: [
      'optional-modified-proton',
      'optional-modified-empty',
      'optional-modified-null',
      'optional-modified-defer',
      'optional-modified-list',
      'optional-rejected-empty',
      'optional-rejected-null-info',
      'rejected-own-condition',
      'rejected-own-condition-info',
    ],
  });

  /**
   * Sends one message, receives it in peek-lock on a connection of its own and settles it with
   * `state`. Returns the broker's answer (none when settled first); throws when it closed the
   * connection instead.
   */
  async function settleWith(queue: string, state: object, settled: boolean): Promise<Any> {
    const raw = new RawClient();
    await raw.open(suite.emulator.port);
    await raw.sendBytes(queue, rhea.message.encode({ message_id: `${queue}-1`, body: 'x' }));
    const { delivery, receiver } = await raw.receiveOne(queue);
    const answered = once<Any>(receiver, 'settled');

    delivery.update(settled, state);
    // Settled first, the client hears no answer: a request behind it shows it was taken.
    const taken = settled ? raw.putToken(queue) : answered.then((context) => context.delivery);
    const answer = await withinWait(taken);
    assert.equal(raw.connection.is_open(), true, 'the connection stays open');
    await raw.close();
    return answer?.remote_state;
  }

  async function peekOne(queue: string): Promise<Any> {
    const receiver = suite.client.createReceiver(queue);
    const [message] = await receiver.peekMessages(1);
    await receiver.close();
    return message;
  }

  it("abandons on Qpid Proton's release(): settled, annotations null", async () => {
    const state = outcome(MODIFIED, [true, false, null]);
    await settleWith('optional-modified-proton', state, true);

    const message = await peekOne('optional-modified-proton');
    assert.equal(message?.deliveryCount, 1, 'abandoned: the delivery is counted');
    assert.equal(message?.state, 'active');
  });

  it("abandons on rhea's modified() with no fields", async () => {
    const state = (rhea.message.modified() as { described(): object }).described();
    await settleWith('optional-modified-empty', state, true);

    const message = await peekOne('optional-modified-empty');
    assert.equal(message?.deliveryCount, 1, 'abandoned: the delivery is counted');
    assert.equal(message?.state, 'active');
  });

  it('abandons on modified whose three fields are null, answering modified', async () => {
    const state = outcome(MODIFIED, [null, null, null]);
    const answer = await settleWith('optional-modified-null', state, false);

    assert.equal(answer?.constructor?.composite_type, 'modified');
    const message = await peekOne('optional-modified-null');
    assert.equal(message?.deliveryCount, 1);
    assert.equal(message?.state, 'active');
  });

  it('defers on modified undeliverable-here with null message-annotations', async () => {
    const state = outcome(MODIFIED, [false, true, null]);
    await settleWith('optional-modified-defer', state, false);

    const message = await peekOne('optional-modified-defer');
    assert.equal(message?.state, 'deferred');
  });

  it('refuses modified whose message-annotations are a list, not a map', async () => {
    const state = outcome(MODIFIED, [true, false, types.wrap_list(['a', 'b'])]);
    const answer = await settleWith('optional-modified-list', state, false);

    assert.equal(answer?.constructor?.composite_type, 'rejected');
    assert.equal(answer?.error?.condition, 'amqp:decode-error');
  });

  it('dead-letters on rejected without an error, with an empty reason', async () => {
    await settleWith('optional-rejected-empty', outcome(REJECTED, []), false);

    const dlq = suite.client.createReceiver('optional-rejected-empty', {
      subQueueType: 'deadLetter',
    });
    const [dead] = await dlq.peekMessages(1);
    await dlq.close();
    assert.equal(dead?.messageId, 'optional-rejected-empty-1');
    assert.equal(dead?.deadLetterReason, '');
    assert.deepEqual(await peekOne('optional-rejected-empty'), undefined);
  });

  it('dead-letters on rejected whose error info is null', async () => {
    const error = outcome(ERROR, [types.wrap_symbol('com.microsoft:dead-letter'), null, null]);
    await settleWith('optional-rejected-null-info', outcome(REJECTED, [error]), false);

    const dlq = suite.client.createReceiver('optional-rejected-null-info', {
      subQueueType: 'deadLetter',
    });
    const [dead] = await dlq.peekMessages(1);
    await dlq.close();
    assert.equal(dead?.messageId, 'optional-rejected-null-info-1');
  });

  /** The dead letter of a message rejected with `error` (a described error list). */
  async function deadLetterOf(queue: string, error: object): Promise<Any> {
    await settleWith(queue, outcome(REJECTED, [error]), false);
    const dlq = suite.client.createReceiver(queue, { subQueueType: 'deadLetter' });
    const [dead] = await dlq.peekMessages(1);
    await dlq.close();
    return dead;
  }

  it("dead-letters on rejected, with a client's own condition for reason and text", async () => {
    const error = outcome(ERROR, [
      types.wrap_symbol('amqp:precondition-failed'),
      'the order has no lines',
      null,
    ]);
    const dead = await deadLetterOf('rejected-own-condition', error);

    assert.equal(dead?.deadLetterReason, 'amqp:precondition-failed');
    assert.equal(dead?.deadLetterErrorDescription, 'the order has no lines');
  });

  it('takes the reason and description from the info when it gives them', async () => {
    const info = types.wrap_map({ DeadLetterReason: 'Invalid', DeadLetterErrorDescription: 'bad' });
    const error = outcome(ERROR, [types.wrap_symbol('amqp:precondition-failed'), 'other', info]);
    const dead = await deadLetterOf('rejected-own-condition-info', error);

    assert.equal(dead?.deadLetterReason, 'Invalid');
    assert.equal(dead?.deadLetterErrorDescription, 'bad');
  });
});
