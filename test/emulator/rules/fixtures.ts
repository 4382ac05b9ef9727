import type { RuleMessage } from '../../../src/emulator/rules';

/** One message every rules test reads: a mix of system and user properties of each type. */
export function sampleMessage(): RuleMessage {
  return {
    system: {
      messageId: 'm-1',
      subject: 'bus.red',
      to: 'Store5',
      contentType: 'application/json',
      sequenceNumber: 40,
      deliveryCount: 1,
      enqueuedTimeUtc: new Date('2026-01-01T00:00:00Z'),
    },
    properties: {
      color: 'red',
      Region: 'EU',
      qty: 7n, // an AMQP integer (any width) reads as bigint
      price: 2.5,
      whole: 2, // a double 2.0: number, not an integer
      big: 9007199254740993n, // a long past 2^53
      huge: 18446744073709551615n, // the largest ulong
      flag: true,
      nothing: null,
      pct: '50%',
      path: 'a_b',
      quote: "it's",
      größe: 3n,
      when: new Date('2026-06-01T00:00:00Z'),
    },
  };
}
