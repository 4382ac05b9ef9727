import type { Receiver, Sender } from './rhea';

/** rhea's link state behind a flow: fields it keeps as plain numbers. */
interface CountingLink {
  delivery_count: number;
  is_receiver(): boolean;
  on_flow(frame: { performative: { delivery_count?: unknown } }): void;
}

/**
 * Keeps a link's delivery-count a serial number (AMQP 1.0 §2.6.7, RFC 1982 with 32 bits):
 * rhea adds to it as a plain number, so a drain of a large credit (delivery-count 5 plus credit
 * 2^32-1), or a client's drain flow that sets a count near 2^32, took it past the uint range,
 * and writing the next flow threw a RangeError that cut the connection without a close.
 *
 * Every write to the count wraps modulo 2^32. On a sender, rhea works out the credit as the
 * client's delivery-count + link-credit - ours; the client's count is handed to it as a plain
 * number near ours (ours plus the serial difference), so the credit comes out right across
 * the wrap.
 */
export function countDeliveriesSerially(link: Sender | Receiver): void {
  const counting = link as unknown as CountingLink;
  let count = counting.delivery_count >>> 0;
  Object.defineProperty(counting, 'delivery_count', {
    get: () => count,
    set: (value: number) => {
      count = value >>> 0;
    },
    configurable: true,
    enumerable: true,
  });
  if (counting.is_receiver()) return;

  const onFlow = counting.on_flow;
  counting.on_flow = function onSerialFlow(this: CountingLink, frame): void {
    const theirs = frame.performative.delivery_count;
    if (typeof theirs === 'number') {
      frame.performative.delivery_count = count + serialDifference(theirs, count);
    }
    onFlow.call(this, frame);
  };
}

/** How far the serial number `ahead` is past `behind` (both counts modulo 2^32). */
export function serialDistance(ahead: number, behind: number): number {
  return (ahead - behind) >>> 0;
}

/** a - b as serial numbers: negative when a is behind b (RFC 1982 §3.2). */
function serialDifference(a: number, b: number): number {
  return (a - b) | 0;
}
