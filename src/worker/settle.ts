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

/** Whether an error from the SDK means the lock is gone (settling again cannot help). */
export function isLockLostError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'MessageLockLost' || code === 'SessionLockLost';
}
