import { crc32 } from 'node:zlib';

import {
  decodeSenderAnnotations,
  encodeSenderAnnotations,
  plainToSenderAnnotations,
} from '../amqp/senderAnnotations';
import type { StoredMessage } from './types';

/**
 * The journal's record format. Each record: u32 body length, u32 CRC-32 of the body, body.
 * Body: u8 kind, u16 store-key length, store key (UTF-8), then the kind's payload. A torn or
 * corrupt tail (a crash mid-write, or the zeros some file systems leave after a power cut)
 * fails the length or CRC check and ends recovery there; a damaged record with whole records
 * after it is damage within the journal, which `readJournal` reports (see recover).
 */
export const RecordKind = {
  message: 1,
  remove: 2,
  sessionState: 3,
  lastSequence: 4,
  duplicate: 5,
  /** The entity that owned the store was deleted: everything recorded under its key before. */
  forget: 6,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export type JournalRecord =
  | { kind: typeof RecordKind.message; key: string; message: StoredMessage }
  | { kind: typeof RecordKind.remove; key: string; seq: number }
  | { kind: typeof RecordKind.sessionState; key: string; sessionId: string; state: Buffer | null }
  | { kind: typeof RecordKind.lastSequence; key: string; seq: number }
  /** A message id seen by a duplicate-detecting queue or topic (key: the entity). */
  | { kind: typeof RecordKind.duplicate; key: string; messageId: string; seenAtMs: number }
  | { kind: typeof RecordKind.forget; key: string };

export function encodeRecord(record: JournalRecord): Buffer {
  const payload = encodePayload(record);
  const key = Buffer.from(record.key, 'utf8');
  const body = Buffer.allocUnsafe(3 + key.length + payload.length);
  body.writeUInt8(record.kind, 0);
  body.writeUInt16BE(key.length, 1);
  key.copy(body, 3);
  payload.copy(body, 3 + key.length);

  const frame = Buffer.allocUnsafe(8);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([frame, body]);
}

function encodePayload(record: JournalRecord): Buffer {
  switch (record.kind) {
    case RecordKind.message: {
      const { bare, lockToken, lockedUntilMs, annotations, ...rest } = record.message;
      void lockToken;
      void lockedUntilMs;
      const meta: StoredMeta = rest;
      if (annotations !== null) {
        meta.annotationMap = encodeSenderAnnotations(annotations).toString('base64');
      }
      const json = Buffer.from(JSON.stringify(meta), 'utf8');
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32BE(json.length, 0);
      return Buffer.concat([head, json, bare]);
    }
    case RecordKind.remove:
    case RecordKind.lastSequence: {
      const payload = Buffer.allocUnsafe(8);
      payload.writeDoubleBE(record.seq, 0);
      return payload;
    }
    case RecordKind.duplicate: {
      const head = Buffer.allocUnsafe(8);
      head.writeDoubleBE(record.seenAtMs, 0);
      return Buffer.concat([head, Buffer.from(record.messageId, 'utf8')]);
    }
    case RecordKind.forget:
      return Buffer.alloc(0);
    case RecordKind.sessionState: {
      const id = Buffer.from(record.sessionId, 'utf8');
      const head = Buffer.allocUnsafe(3);
      head.writeUInt16BE(id.length, 0);
      head.writeUInt8(record.state === null ? 0 : 1, 2);
      return Buffer.concat([head, id, record.state ?? Buffer.alloc(0)]);
    }
  }
}

/** A record's body, once its frame passed its check (see journalReader). */
export function decodeBody(body: Buffer): JournalRecord {
  const kind = body.readUInt8(0) as RecordKind;
  const keyLength = body.readUInt16BE(1);
  const key = body.subarray(3, 3 + keyLength).toString('utf8');
  const payload = body.subarray(3 + keyLength);
  switch (kind) {
    case RecordKind.message: {
      const jsonLength = payload.readUInt32BE(0);
      const { annotationMap, ...meta } = JSON.parse(
        payload.subarray(4, 4 + jsonLength).toString('utf8'),
        reviver,
      ) as StoredMeta;
      // Copy: a slice would keep the whole read window alive.
      const bare = Buffer.from(payload.subarray(4 + jsonLength));
      // A journal written before hops were recorded: its messages start counting afresh.
      const forwardHops = (meta as { forwardHops?: number }).forwardHops ?? 0;
      const annotations =
        annotationMap === undefined
          ? plainToSenderAnnotations(meta.annotations)
          : decodeSenderAnnotations(Buffer.from(annotationMap, 'base64'));
      const message = {
        ...meta,
        annotations,
        forwardHops,
        bare,
        lockToken: null,
        lockedUntilMs: 0,
      };
      return { kind, key, message };
    }
    case RecordKind.remove:
    case RecordKind.lastSequence:
      return { kind, key, seq: payload.readDoubleBE(0) };
    case RecordKind.duplicate:
      return {
        kind,
        key,
        seenAtMs: payload.readDoubleBE(0),
        messageId: payload.subarray(8).toString('utf8'),
      };
    case RecordKind.forget:
      return { kind, key };
    case RecordKind.sessionState: {
      const idLength = payload.readUInt16BE(0);
      const hasState = payload.readUInt8(2) === 1;
      const sessionId = payload.subarray(3, 3 + idLength).toString('utf8');
      const state = hasState ? Buffer.from(payload.subarray(3 + idLength)) : null;
      return { kind, key, sessionId, state };
    }
    default:
      throw new Error(`unknown journal record kind ${String(kind)}`);
  }
}

/**
 * A message record's JSON: the stored message less its bytes, lock and annotations. The sender's
 * annotations go in `annotationMap`, one encoded AMQP map in base64, so that they keep their
 * AMQP types. Journals written before that hold them in `annotations` as rhea decoded them,
 * dates and binary values tagged (`$date`, `$binary`).
 */
type StoredMeta = Omit<StoredMessage, 'bare' | 'lockToken' | 'lockedUntilMs' | 'annotations'> & {
  annotationMap?: string;
  annotations?: Record<string, unknown> | null;
};

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object') {
    const tagged = value as { $date?: number; $binary?: string };
    if (typeof tagged.$date === 'number' && Object.keys(value).length === 1)
      return new Date(tagged.$date);
    if (typeof tagged.$binary === 'string' && Object.keys(value).length === 1) {
      return Buffer.from(tagged.$binary, 'base64');
    }
  }
  return value;
}
