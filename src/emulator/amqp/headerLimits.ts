import { headerLimitProblem } from '../../shared/headerLimits';
import { withApplicationProperties } from './messageCodec';
import { BrokerError, Condition } from './wire';

/**
 * Refuses a message whose header is over Service Bus's limits (shared/headerLimits.ts) as Azure
 * does: a serialization error under the message-size condition.
 */
export function checkHeaderLimits(bare: Buffer): void {
  const problem = headerLimitProblem(bare);
  if (problem === undefined) return;
  throw new BrokerError(
    Condition.messageSizeExceeded,
    `A serialization error occurred while processing the message header: ${problem}.`,
    413,
  );
}

/**
 * Refuses property changes of a settlement that would take the message's header past Service
 * Bus's limits, before anything changes: the message could be neither sent again nor replayed.
 */
export function checkChangedHeader(bare: Buffer, changes?: Record<string, unknown>): void {
  if (changes !== undefined) checkHeaderLimits(withApplicationProperties(bare, changes));
}
