import { SECOND_MS } from '../shared/time';

/**
 * How long `receiveMessages` of @azure/service-bus 7.9.5 stays open after its first message,
 * for more: `defaultMaxTimeAfterFirstMessageForBatchingMs` in receivers/receiver.js, fixed (no
 * option sets it). The receive returns sooner only when `maxMessageCount` messages have come,
 * or when its own `maxWaitTimeInMs` runs out first.
 */
const SDK_WAIT_AFTER_FIRST_MESSAGE_MS = SECOND_MS;

interface ReceiveTiming {
  /** `Date.now()` before the call and after it returned. */
  startedAtMs: number;
  returnedAtMs: number;
  count: number;
  maxMessageCount: number;
  maxWaitTimeInMs: number;
}

/**
 * The latest moment the first message of a receive can have reached the worker, so that a
 * minimum batch's `maxBatchWaitTime` (Azure: the longest the trigger waits to fill a batch)
 * counts from there, not from the SDK's return a second later. A receive that came back
 * short of `maxMessageCount` before its own wait ran out was ended by the SDK's timer, set
 * when the first message arrived: that message came at least the SDK's second before the
 * return (the drain that ends a receive only adds to it). Any other receive may have ended at
 * once, so its return time is all that is known.
 */
export function firstArrivalMs(timing: ReceiveTiming): number {
  const { startedAtMs, returnedAtMs, count, maxMessageCount, maxWaitTimeInMs } = timing;
  const beforeItsWait = returnedAtMs - startedAtMs < maxWaitTimeInMs;
  const endedByTheSdkWait = count < maxMessageCount && beforeItsWait;
  if (!endedByTheSdkWait) return returnedAtMs;

  return Math.max(startedAtMs, returnedAtMs - SDK_WAIT_AFTER_FIRST_MESSAGE_MS);
}
