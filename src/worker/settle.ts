import { errorCode, mostTellingAttempt } from '../shared/attemptErrors';

export type InvocationResult = 'succeeded' | 'failed' | 'timedOut';
export type Settlement = 'complete' | 'abandon' | 'none';

export interface SettleInput {
  result: InvocationResult;
  autoCompleteMessages: boolean;
  /** The lock (message or session) was lost before settling: nothing can be settled. */
  lockLost: boolean;
}

/**
 * The one place that decides how a message ends, as the Functions host's processor does:
 * success completes when auto-complete is on and otherwise leaves the message to its lock;
 * any failure (throw, binding error, timeout, output send error) abandons whatever the
 * auto-complete setting, unless the lock is already lost. Never dead-letter: the broker does
 * that at MaxDeliveryCount.
 */
export function decideSettlement(input: SettleInput): Settlement {
  if (input.lockLost) return 'none';
  if (input.result === 'succeeded') return input.autoCompleteMessages ? 'complete' : 'none';
  return 'abandon';
}

/**
 * Whether an error from the SDK means the lock is gone (settling again cannot help). After its
 * retries the SDK throws an AggregateError of the attempts: the lock is gone if the last
 * attempt that said anything said so.
 */
export function isLockLostError(error: unknown): boolean {
  const code = errorCode(mostTellingAttempt(error));
  return code === 'MessageLockLost' || code === 'SessionLockLost';
}

/**
 * What the settlement failure log line says about the error. The SDK's AggregateError has no
 * code and an empty message: the line gives its most telling attempt instead, and how many
 * attempts were made.
 */
export function settleFailureFields(error: unknown): {
  code?: string;
  error: string;
  attempts?: number;
} {
  const telling = mostTellingAttempt(error);
  const code = errorCode(telling);
  const text = telling instanceof Error ? telling.message || telling.name : String(telling);
  return {
    ...(code === undefined ? {} : { code }),
    error: text,
    ...(error instanceof AggregateError ? { attempts: error.errors.length } : {}),
  };
}
