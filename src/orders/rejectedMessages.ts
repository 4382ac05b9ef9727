import { createHash } from 'node:crypto';

import type { StoredBody } from './decodeMessage';
import type { Database } from './store/database';

export interface RejectedMessage {
  functionName: string;
  /** The broker's message id, when the host passed one; a redelivery is then recorded once. */
  messageId: string | null;
  deliveryCount: number | null;
  reasonCode: string;
  reason: string;
  /** The whole body, for whoever fixes the message and sends it again; never logged. */
  body: StoredBody | null;
}

/**
 * Records a rejection once per message: a redelivery (the same id and the same body) adds
 * nothing, while another message sent under an id already seen (a corrected resend, a replay
 * of another version) gets a row of its own.
 *
 * @returns false when this message was already recorded by an earlier delivery.
 */
export async function recordRejectedMessage(
  db: Database,
  rejected: RejectedMessage,
): Promise<boolean> {
  const body = rejected.body === null ? null : withoutNul(rejected.body.text);
  const rows = await db.query(
    `INSERT INTO rejected_messages
       (function_name, message_id, delivery_count, reason_code, reason,
        body, body_encoding, body_sha256)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (function_name, message_id, body_sha256) WHERE message_id IS NOT NULL
       DO NOTHING
     RETURNING id`,
    [
      rejected.functionName,
      rejected.messageId === null ? null : withoutNul(rejected.messageId),
      rejected.deliveryCount,
      rejected.reasonCode,
      withoutNul(rejected.reason),
      body,
      rejected.body?.encoding ?? null,
      // An empty body hashes too, so that its redeliveries are recorded once as well.
      createHash('sha256')
        .update(body ?? '')
        .digest('hex'),
    ],
  );
  return rows.length > 0;
}

/**
 * PostgreSQL text cannot hold NUL, and a rejected body, a parser's reason that quotes it, or
 * the message id the sender chose may contain anything.
 */
function withoutNul(text: string): string {
  return text.replaceAll('\u0000', '\\u0000');
}

/**
 * The broker facts a host passes with a message (`messageId`, `deliveryCount`), read from the
 * trigger metadata. The host may have turned a numeric-looking id into a number.
 */
export function brokerFactsFrom(metadata: Record<string, unknown> | undefined): {
  messageId: string | null;
  deliveryCount: number | null;
} {
  const messageId = metadata?.messageId;
  const deliveryCount = Number(metadata?.deliveryCount);
  return {
    messageId: messageId === undefined || messageId === null ? null : String(messageId),
    deliveryCount: Number.isInteger(deliveryCount) ? deliveryCount : null,
  };
}

/** A recorded rejection, as `sbworker rejected` shows it. */
export interface RejectedRow extends RejectedMessage {
  id: number;
  rejectedAt: Date;
  /**
   * False for a row recorded before schema version 2, which kept the first 4,000 characters
   * of the body only.
   */
  bodyComplete: boolean;
}

export interface RejectedFilter {
  functionName?: string;
  messageId?: string;
  /** The most rows to return, oldest first. */
  limit: number;
}

/**
 * The rows, oldest first, from a database at any schema version: it is read as it is (the
 * reader may not migrate it, and an older release may still be running against it).
 */
export async function listRejectedMessages(
  db: Database,
  filter: RejectedFilter,
): Promise<RejectedRow[]> {
  const version = await schemaVersion(db);
  if (version === 0) return [];

  const bodyColumns =
    version >= 2 ? 'body, body_encoding' : 'body_excerpt AS body, NULL::text AS body_encoding';
  const rows = await db.query<{
    id: string | number;
    rejected_at: Date | string;
    function_name: string;
    message_id: string | null;
    delivery_count: number | null;
    reason_code: string;
    reason: string;
    body: string | null;
    body_encoding: StoredBody['encoding'] | null;
  }>(
    `SELECT id, rejected_at, function_name, message_id, delivery_count, reason_code, reason,
            ${bodyColumns}
       FROM rejected_messages
      WHERE ($1::text IS NULL OR lower(function_name) = lower($1))
        AND ($2::text IS NULL OR message_id = $2)
      ORDER BY id
      LIMIT $3`,
    [
      filter.functionName ?? null,
      filter.messageId === undefined ? null : withoutNul(filter.messageId),
      filter.limit,
    ],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    rejectedAt: new Date(row.rejected_at),
    functionName: row.function_name,
    messageId: row.message_id,
    deliveryCount: row.delivery_count,
    reasonCode: row.reason_code,
    reason: row.reason,
    body: row.body === null ? null : storedBodyOf(row.body, row.body_encoding),
    bodyComplete: row.body_encoding !== null || row.body === null,
  }));
}

/** The schema version of the order tables; 0 when no release has created them yet. */
async function schemaVersion(db: Database): Promise<number> {
  const [exists] = await db.query<{ present: boolean }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS present`,
  );
  if (exists?.present !== true) return 0;
  const [row] = await db.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM schema_migrations',
  );
  return Number(row?.version ?? 0);
}

/**
 * Rows from before version 2 have no encoding: bytes were kept as `base64:` and their base64
 * text. A text body that merely starts so is told apart when the rest is not base64.
 */
function storedBodyOf(text: string, encoding: StoredBody['encoding'] | null): StoredBody {
  if (encoding !== null) return { encoding, text };
  const rest = text.slice('base64:'.length);
  return text.startsWith('base64:') && BASE64.test(rest)
    ? { encoding: 'base64', text: rest }
    : { encoding: 'text', text };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
