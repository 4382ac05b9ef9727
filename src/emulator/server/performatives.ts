import { readScalar, valueEnd } from './amqpWalk';

/** Descriptor codes of the performatives (AMQP 1.0 part 2.7 and 5.3). */
export const Performative = {
  open: 0x10,
  begin: 0x11,
  attach: 0x12,
  flow: 0x13,
  transfer: 0x14,
  disposition: 0x15,
  detach: 0x16,
  end: 0x17,
  close: 0x18,
  saslMechanisms: 0x40,
  saslInit: 0x41,
  saslChallenge: 0x42,
  saslResponse: 0x43,
  saslOutcome: 0x44,
} as const;

const AMQP_CODES = new Set([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]);
const SASL_CODES = new Set([0x40, 0x41, 0x42, 0x43, 0x44]);
const SASL_NAMES = ['mechanisms', 'init', 'challenge', 'response', 'outcome'];
const AMQP_NAMES = ['open', 'begin', 'attach', 'flow', 'transfer', 'disposition', 'detach'];

/** rhea also knows each performative by its symbolic descriptor ("amqp:open:list"). */
const BY_NAME = new Map<string, number>([
  ...AMQP_NAMES.map((name, i): [string, number] => [`amqp:${name}:list`, 0x10 + i]),
  ['amqp:end:list', 0x17],
  ['amqp:close:list', 0x18],
  ...SASL_NAMES.map((name, i): [string, number] => [`amqp:sasl-${name}:list`, 0x40 + i]),
]);

/** How many leading fields are read: enough for transfer's `aborted` (the tenth). */
const FIELDS_READ = 10;

const UINT = new Set([0x40, 0x43, 0x52, 0x70, 0x44, 0x53, 0x80]);
const BOOLEAN = new Set([0x40, 0x41, 0x42, 0x56]);

/**
 * The types of the fields the guard reads (AMQP 1.0 part 2.7), by position. rhea takes any
 * number for a uint and anything truthy for a boolean; refusing other encodings keeps what the
 * guard reads the same as what rhea acts on (a disposition's `last` as a double, `more` as 1).
 */
const FIELD_TYPES = new Map<number, [number, string, Set<number>][]>([
  [Performative.begin, [[4, 'handle-max', UINT]]],
  [
    Performative.attach,
    [
      [1, 'handle', UINT],
      [2, 'role', BOOLEAN],
    ],
  ],
  [Performative.flow, [[4, 'handle', UINT]]],
  [
    Performative.transfer,
    [
      [0, 'handle', UINT],
      [1, 'delivery-id', UINT],
      [3, 'message-format', UINT],
      [4, 'settled', BOOLEAN],
      [5, 'more', BOOLEAN],
      [8, 'resume', BOOLEAN],
      [9, 'aborted', BOOLEAN],
    ],
  ],
  [
    Performative.disposition,
    [
      [0, 'role', BOOLEAN],
      [1, 'first', UINT],
      [2, 'last', UINT],
      [3, 'settled', BOOLEAN],
    ],
  ],
  [
    Performative.detach,
    [
      [0, 'handle', UINT],
      [1, 'closed', BOOLEAN],
    ],
  ],
]);

const NAMES = new Map<number, string>([
  [Performative.begin, 'begin'],
  [Performative.attach, 'attach'],
  [Performative.flow, 'flow'],
  [Performative.transfer, 'transfer'],
  [Performative.disposition, 'disposition'],
  [Performative.detach, 'detach'],
]);

export interface ReadPerformative {
  code: number;
  /** The leading list fields that are unsigned integers or booleans; others undefined. */
  fields: (number | boolean | undefined)[];
  /** Where the performative ends and the payload starts. */
  end: number;
  /** The first field when it is a symbol (a sasl-init's mechanism). */
  firstSymbol?: string;
  /** An attach's link name (a string or symbol, as rhea keys its links by either). */
  linkName?: string;
}

/**
 * Reads the performative at `at` of a frame body `checkValues` accepted: its code and first
 * fields. Returns a reason instead when it is not one this layer (SASL or AMQP) knows.
 */
export function readPerformative(
  buffer: Buffer,
  at: number,
  sasl: boolean,
): ReadPerformative | string {
  if (buffer[at] !== 0x00) return 'a frame body that is not a performative';
  const code = descriptorCode(buffer, at + 1);
  const known = sasl ? SASL_CODES : AMQP_CODES;
  if (code === undefined || !known.has(code)) return 'an unknown performative';

  let field = valueEnd(buffer, at + 1);
  const end = valueEnd(buffer, at);
  const list = buffer[field]!;
  const fields: (number | boolean | undefined)[] = [];
  if (list === 0x45) return { code, fields, end };
  if (list !== 0xc0 && list !== 0xd0) return 'a performative that is not a list';

  const wide = list === 0xd0;
  const count = wide ? buffer.readUInt32BE(field + 5) : buffer[field + 2]!;
  field += wide ? 9 : 3;
  const types: number[] = [];
  const firstSymbol = count > 0 ? readSymbol(buffer, field) : undefined;
  const linkName = code === Performative.attach && count > 0 ? readText(buffer, field) : undefined;
  for (let i = 0; i < Math.min(count, FIELDS_READ); i++) {
    types.push(buffer[field]!);
    fields.push(readScalar(buffer, field));
    field = valueEnd(buffer, field);
  }
  for (const [position, name, allowed] of FIELD_TYPES.get(code) ?? []) {
    const type = types[position];
    if (type !== undefined && !allowed.has(type)) {
      const kind = allowed === UINT ? 'an unsigned integer' : 'a boolean';
      return `a ${NAMES.get(code)} whose ${name} is not ${kind}`;
    }
  }
  const read: ReadPerformative = { code, fields, end };
  if (firstSymbol !== undefined) read.firstSymbol = firstSymbol;
  if (linkName !== undefined) read.linkName = linkName;
  return read;
}

function readSymbol(buffer: Buffer, at: number): string | undefined {
  const type = buffer[at];
  if (type === 0xa3) return buffer.toString('latin1', at + 2, at + 2 + buffer[at + 1]!);
  if (type === 0xb3) return buffer.toString('latin1', at + 5, at + 5 + buffer.readUInt32BE(at + 1));
  return undefined;
}

/** A string (UTF-8) or symbol value at `at`, as rhea would read it; undefined for others. */
function readText(buffer: Buffer, at: number): string | undefined {
  const type = buffer[at];
  if (type === 0xa1) return buffer.toString('utf8', at + 2, at + 2 + buffer[at + 1]!);
  if (type === 0xb1) return buffer.toString('utf8', at + 5, at + 5 + buffer.readUInt32BE(at + 1));
  return readSymbol(buffer, at);
}

function descriptorCode(buffer: Buffer, at: number): number | undefined {
  const type = buffer[at];
  if (type === 0xa1 || type === 0xa3) {
    return BY_NAME.get(buffer.toString('latin1', at + 2, at + 2 + buffer[at + 1]!));
  }
  if (type === 0xb1 || type === 0xb3) {
    return BY_NAME.get(buffer.toString('latin1', at + 5, at + 5 + buffer.readUInt32BE(at + 1)));
  }
  const value = readScalar(buffer, at);
  return typeof value === 'number' ? value : undefined;
}
