import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { types } from '../../src/emulator/amqp/rhea';
import { emulatorForSuite } from '../support/emulator';
import { once, RawClient, type Any } from '../support/rheaClient';

// Trial CM (Qpid Proton): attaches for features the emulator lacks were answered with
// unauthorized-access or not-found, which sends a client looking for a token or a typo.

const QUEUE = 'unsupported-attach';
/** A transaction coordinator target (AMQP 1.0 §4.5.1), descriptor 0x30, no capabilities. */
const COORDINATOR = types.described(types.wrap_ulong(0x30), types.wrap_list([]));

describe('emulator attaches for features it does not support', () => {
  const suite = emulatorForSuite({ queues: [QUEUE] });

  /** Attaches with `open` on a connection holding a token for the queue; the detach error. */
  async function refusal(open: (connection: Any) => Any): Promise<Any> {
    const raw = new RawClient();
    await raw.open(suite.emulator.port);
    await raw.putToken(QUEUE);
    const link = open(raw.connection);
    const context = await once<Any>(link, link.is_sender() ? 'sender_error' : 'receiver_error');
    assert.equal(raw.connection.is_open(), true, 'only the link is refused');
    await raw.close();
    return context[link.is_sender() ? 'sender' : 'receiver'].error;
  }

  it('refuses a transaction coordinator target as not implemented', async () => {
    const error = await refusal((connection) => connection.open_sender({ target: COORDINATOR }));

    assert.equal(error.condition, 'amqp:not-implemented');
    assert.match(error.description, /Transactions .* are not supported/);
  });

  it('refuses the anonymous relay (a target without an address) as not implemented', async () => {
    const error = await refusal((connection) => connection.open_sender({ target: {} }));

    assert.equal(error.condition, 'amqp:not-implemented');
    assert.match(error.description, /anonymous relay/);
  });

  it('refuses a dynamic source as not implemented', async () => {
    const error = await refusal((connection) =>
      connection.open_receiver({ source: { dynamic: true }, credit_window: 0 }),
    );

    assert.equal(error.condition, 'amqp:not-implemented');
    assert.match(error.description, /Dynamic nodes/);
  });

  it('refuses a dynamic target as not implemented', async () => {
    const error = await refusal((connection) =>
      connection.open_sender({ target: { dynamic: true } }),
    );

    assert.equal(error.condition, 'amqp:not-implemented');
  });

  it('refuses a sender to a dead-letter queue, saying it takes no sends', async () => {
    const address = `${QUEUE}/$DeadLetterQueue`;
    const error = await refusal((connection) => connection.open_sender({ target: { address } }));

    assert.equal(error.condition, 'amqp:not-allowed');
    assert.match(error.description, /dead-letter queue .* takes no sends/);
  });
});
