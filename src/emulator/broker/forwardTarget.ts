import { sendsAllowed, type SendTarget } from '../entities/registry';
import type { DeadLetterFields } from '../store/types';
import { entitySizeBytes, isFull } from './entitySize';

/**
 * Why auto-forwarding cannot put a message into `target` now, or null when it can. Azure's
 * auto-forwarding page: when the destination "is disabled" or "exceeds the quota", the source
 * keeps the messages in its dead-letter queue. Disabled here is what refuses a send: Disabled
 * or SendDisabled. Azure documents no dead-letter reason for these; the reasons are the codes
 * a direct send there fails with in the SDKs, so the two read alike.
 */
export function forwardTargetRefusal(
  target: SendTarget,
  forwardTo: string,
): DeadLetterFields | null {
  if (!sendsAllowed(target.status)) {
    return {
      reason: 'MessagingEntityDisabled',
      description:
        `Not auto-forwarded to "${forwardTo}": sending to that ${target.kind} is disabled ` +
        `(its Status is ${target.status}).`,
    };
  }
  if (isFull(target)) {
    return {
      reason: 'QuotaExceeded',
      description:
        `Not auto-forwarded to "${forwardTo}": that ${target.kind} has reached its ` +
        `MaxSizeInMegabytes of ${target.config.maxSizeInMegabytes} ` +
        `(${entitySizeBytes(target)} bytes stored).`,
    };
  }
  return null;
}
