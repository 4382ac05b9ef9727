import type { Database } from './store/database';

export interface RejectedMessage {
  functionName: string;
  /** The broker's message id, when the host passed one; a redelivery is then recorded once. */
  messageId: string | null;
  deliveryCount: number | null;
  reasonCode: string;
  reason: string;
  /** The start of the body as text, for whoever investigates; never logged. */
  bodyExcerpt: string | null;
}

const BODY_EXCERPT_CHARS = 4_000;

/** @returns false when this message was already recorded by an earlier delivery. */
export async function recordRejectedMessage(
  db: Database,
  rejected: RejectedMessage,
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO rejected_messages
       (function_name, message_id, delivery_count, reason_code, reason, body_excerpt)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (function_name, message_id) WHERE message_id IS NOT NULL DO NOTHING
     RETURNING id`,
    [
      rejected.functionName,
      rejected.messageId,
      rejected.deliveryCount,
      rejected.reasonCode,
      withoutNul(rejected.reason),
      excerptOf(rejected.bodyExcerpt),
    ],
  );
  return rows.length > 0;
}

function excerptOf(body: string | null): string | null {
  if (body === null) return null;
  return withoutNul(body.slice(0, BODY_EXCERPT_CHARS));
}

/**
 * PostgreSQL text cannot hold NUL, and a rejected body, or a parser's reason that quotes it,
 * may contain anything.
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
