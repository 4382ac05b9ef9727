import { types } from 'rhea';

/**
 * AMQP values as a .NET sender writes them, for application properties. rhea takes a long or
 * ulong as its 8 bytes, the only way to send one past 2^53 exactly.
 */
export function wrapLong(value: bigint): unknown {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(value);
  return types.wrap_long(bytes);
}

export function wrapUlong(value: bigint): unknown {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  return types.wrap_ulong(bytes);
}

/** A described value: a symbol (or a ulong code) as descriptor, then the value. */
export function described(descriptor: string | bigint, value: unknown): unknown {
  const wrapped =
    typeof descriptor === 'string' ? types.wrap_symbol(descriptor) : wrapUlong(descriptor);
  return types.described(wrapped as never, value as never);
}
