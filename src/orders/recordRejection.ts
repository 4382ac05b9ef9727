import type { Logger } from '../shared/logger';
import type { Decoded } from './decodeMessage';
import type { OrderRuntime } from './orderRuntime';
import { recordRejectedMessage } from './rejectedMessages';
import { withTransientRetry } from './transientRetry';

type Rejected = Extract<Decoded<unknown>, { ok: false }>;

/**
 * Records a message that cannot be what the function expects, retrying transient database
 * errors like any other work, so the caller can return and let the host complete it.
 */
export async function recordRejection(
  runtime: OrderRuntime,
  functionName: string,
  broker: { messageId: string | null; deliveryCount: number | null },
  rejected: Rejected,
  logger: Logger,
): Promise<void> {
  await withTransientRetry(
    `recording a rejected ${functionName} message`,
    () =>
      recordRejectedMessage(runtime.db, {
        functionName,
        ...broker,
        reasonCode: rejected.code,
        reason: rejected.reason,
        body: rejected.body,
      }),
    logger,
    runtime.retryPolicy,
  );
  // The stored reason is whole; the logged one leaves out what may be data from the body.
  logger.warn('message rejected', {
    reasonCode: rejected.code,
    reason: rejected.loggedReason ?? rejected.reason,
  });
}
