import { headerLimitProblem } from '../../shared/headerLimits';
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
