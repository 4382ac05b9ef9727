import type { TypedValue } from './typedProperties';

/** rhea's type names by the AMQP type they encode (a SmallUint is a uint on a diet). */
const AMQP_TYPE: Record<string, string> = {
  Null: 'null',
  True: 'boolean',
  False: 'boolean',
  Boolean: 'boolean',
  Ubyte: 'ubyte',
  Ushort: 'ushort',
  Uint: 'uint',
  SmallUint: 'uint',
  Uint0: 'uint',
  Ulong: 'ulong',
  SmallUlong: 'ulong',
  Ulong0: 'ulong',
  Byte: 'byte',
  Short: 'short',
  Int: 'int',
  SmallInt: 'int',
  Long: 'long',
  SmallLong: 'long',
  Float: 'float',
  Double: 'double',
  Decimal32: 'decimal32',
  Decimal64: 'decimal64',
  Decimal128: 'decimal128',
  CharUTF32: 'char',
  Timestamp: 'timestamp',
  Uuid: 'uuid',
  Vbin8: 'binary',
  Vbin32: 'binary',
  Str8: 'string',
  Str32: 'string',
  Sym8: 'symbol',
  Sym32: 'symbol',
  List0: 'list',
  List8: 'list',
  List32: 'list',
  Map8: 'map',
  Map32: 'map',
  Array8: 'array',
  Array32: 'array',
};

/**
 * The AMQP type of a value as rhea names its encoding: `long` for both Long and SmallLong.
 * An encoding this table does not know keeps rhea's name.
 */
export function amqpTypeName(rheaTypeName: string): string {
  return AMQP_TYPE[rheaTypeName] ?? rheaTypeName;
}

/**
 * A 64-bit integer or timestamp as the exact reader keeps it (8 bytes), or as rhea gives it
 * otherwise (a number, a Date for a timestamp).
 */
export function typedBigInt(value: TypedValue['value'], signed: boolean): bigint {
  if (Buffer.isBuffer(value) && value.length === 8) {
    return signed ? value.readBigInt64BE() : value.readBigUInt64BE();
  }
  if (value instanceof Date) return BigInt(value.getTime());
  return BigInt(Math.trunc(Number(value)));
}
