import { exactReader } from '../../shared/rheaMessageDecode';
import { types, type Typed } from './rhea';

/**
 * AMQP values read from a message's bytes so that rhea's Writer gives back the same types and
 * values: exactReader keeps the 8 bytes of longs, ulongs and timestamps, and the elements of
 * arrays are made bare. rhea's Reader gives an array's elements as typed values while its
 * Writer wants them bare (it writes their type once), so a uuid or timestamp array read and
 * written as is would throw.
 */

/** A value as rhea's Reader gives it, with the array constructor it reads. */
interface ReadValue extends Typed {
  type: { typecode: number };
  array_constructor?: { typecode: number };
}

const LIST_AND_MAP_CODES: ReadonlySet<number> = new Set([0xc0, 0xc1, 0xd0, 0xd1]);
const ARRAY_CODES: ReadonlySet<number> = new Set([0xe0, 0xf0]);

/** The one value encoded at the start of `bytes`, ready to be written again. */
export function readWritable(bytes: Buffer): Typed {
  const value = exactReader(bytes).read() as ReadValue;
  if (!prepareForWriter(value)) throw new Error('an array of arrays cannot be written again');
  return value;
}

/**
 * The entries of an encoded map (a section such as the application properties, descriptor
 * included) as key, value, key, value, each ready to be written again. A value rhea cannot
 * write again (an array of arrays) is `undefined`, for the caller to replace.
 */
export function readWritableMapEntries(bytes: Buffer): (Typed | undefined)[] {
  const map = exactReader(bytes).read() as ReadValue;
  const entries = Array.isArray(map.value) ? (map.value as ReadValue[]) : [];
  return entries.map((entry) => (prepareForWriter(entry) ? entry : undefined));
}

// One writer for every check, so that a check does not allocate rhea's 1 KB start buffer.
const checkWriter = new types.Writer() as InstanceType<typeof types.Writer> & { position: number };

/** Whether rhea's Writer writes `value` without throwing (a string may not fit its width). */
export function writes(value: Typed): boolean {
  checkWriter.position = 0;
  try {
    checkWriter.write(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes the array elements inside `value` bare, in place. False when rhea cannot write it:
 * its Writer gives an array of arrays no element constructor. Call once per value read.
 */
function prepareForWriter(value: ReadValue): boolean {
  const code = value.type.typecode;
  if (LIST_AND_MAP_CODES.has(code)) {
    return (value.value as ReadValue[]).every(prepareForWriter);
  }
  if (!ARRAY_CODES.has(code)) return true;

  const elementCode = value.array_constructor?.typecode ?? 0;
  const items = value.value as ReadValue[];
  if (ARRAY_CODES.has(elementCode) || !items.every(prepareForWriter)) return false;
  value.value = items.map((item) => item.value);
  return true;
}
