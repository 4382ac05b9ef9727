import { foreignErrorCode } from '../../shared/errorCodes';
import { AppError } from '../../shared/errors';
import type { ReceiveRefusal } from '../../worker';
import { backlogText, type EntityBacklog } from './backlog';

/** An entity that holds messages while Service Bus refuses the receiver of its function. */
export interface RefusedEntity {
  backlog: EntityBacklog;
  refusal: ReceiveRefusal;
}

/** What the notice says of such an entity: what it holds, who cannot take it, and why. */
export function refusedText(refused: RefusedEntity, noticeEveryMs: number): string {
  const { backlog, refusal } = refused;
  const holds = backlogText(backlog) ?? backlog.entity;
  const seconds = Math.round(noticeEveryMs / 1000);
  return (
    `${holds}, which ${refusal.functionName} cannot take: ${refusalText(refusal)}; ` +
    `if that still holds in ${seconds} s, the run ends with ${refusal.code ?? 'its code'}`
  );
}

export function refusedFields(refused: RefusedEntity, nowMs: number): Record<string, unknown> {
  const { backlog, refusal } = refused;
  return {
    entity: backlog.entity,
    function: refusal.functionName,
    code: refusal.code,
    refusedMs: Math.round(nowMs - refusal.sinceMs),
  };
}

/**
 * The error that ends the wait: the refusal's code and retry verdict, so that the `Main job
 * failed` line carries them as the run's other refusals (a peek refused) do.
 */
export function refusalFailure(refused: RefusedEntity, nowMs: number): AppError {
  const { backlog, refusal } = refused;
  const seconds = Math.round((nowMs - refusal.sinceMs) / 1000);
  const holds = backlogText(backlog) ?? `${backlog.entity} holds messages`;
  return new AppError(
    foreignErrorCode(refusal.code ?? 'GeneralError'),
    // The code goes in front of the message wherever it is shown: not again inside.
    `${refusal.functionName} took nothing for ${seconds} s: ` +
      `${refusalText({ ...refusal, code: undefined })}, ` +
      `and ${holds}`,
    { retryable: refusal.retryable ?? false, cause: refusal.error },
  );
}

function refusalText(refusal: ReceiveRefusal): string {
  const code = refusal.code === undefined ? '' : `${refusal.code}: `;
  return `Service Bus refuses its receiver (${code}${refusal.reason})`;
}
