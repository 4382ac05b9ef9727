import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { message as amqpMessage, types } from 'rhea';

import { onMessageDecoded } from '../../src/shared/rheaMessageDecode';
import {
  keepTypedApplicationProperties,
  typedApplicationProperties,
  typedSections,
} from '../../src/shared/typedProperties';

// The worker's setting: this file runs in its own process, and nothing in it asks for the other
// sections, which once asked for stay on for the process.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const readerPrototype = (require('rhea/lib/types.js') as { Reader: { prototype: ReaderLike } })
  .Reader.prototype;

interface ReaderLike {
  read(this: ReaderLike): unknown;
  position: number;
}

// How far into the message's bytes the decode hook reads: hooks run in the order they were
// added, so the window opens before the typed-properties hook and closes after it.
let watching = false;
let furthest = -1;
onMessageDecoded(() => {
  watching = true;
  furthest = -1;
});
keepTypedApplicationProperties();
onMessageDecoded(() => {
  watching = false;
});

const originalRead = readerPrototype.read;
readerPrototype.read = function read(this: ReaderLike): unknown {
  const value = originalRead.call(this);
  if (watching) furthest = Math.max(furthest, this.position);
  return value;
};

const BODY = 'B'.repeat(2000);

/** Every section a sender may write, the body an AMQP value, decoded as the SDK's rhea does. */
function received(applicationProperties: Record<string, unknown> | undefined): {
  decoded: { application_properties?: Record<string, unknown>; message_annotations?: object };
  bodyStart: number;
} {
  const bytes = amqpMessage.encode({
    durable: true,
    ttl: 60_000,
    message_annotations: { 'x-opt-sequence-number': 7 },
    message_id: types.wrap_uuid(Buffer.alloc(16, 1)),
    correlation_id: types.wrap_ulong(42),
    application_properties: applicationProperties,
    body: BODY,
    footer: { signature: 'x' },
  } as never);
  const decoded = amqpMessage.decode(bytes) as ReturnType<typeof received>['decoded'];
  return { decoded, bodyStart: bytes.indexOf(Buffer.from(BODY)) };
}

describe('typed sections kept for the worker (application properties only)', () => {
  it('reads the application properties and stops before the body', () => {
    const { decoded, bodyStart } = received({ id: types.wrap_uuid(Buffer.alloc(16, 2)) });

    assert.equal(
      typedApplicationProperties(decoded.application_properties)?.get('id')?.type.name,
      'Uuid',
    );
    assert.ok(furthest > 0, 'the hook read the application properties');
    assert.ok(furthest < bodyStart, `read up to byte ${furthest}, the body starts at ${bodyStart}`);
    assert.equal(typedSections(decoded.message_annotations as Record<string, unknown>), undefined);
  });

  it('reads nothing again of a message without application properties', () => {
    const { decoded } = received(undefined);

    assert.equal(furthest, -1, `the hook read up to byte ${furthest}`);
    assert.equal(typedSections(decoded.message_annotations as Record<string, unknown>), undefined);
  });
});
