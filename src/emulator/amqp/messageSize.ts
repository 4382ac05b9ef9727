import { BrokerError, Condition } from './wire';

/**
 * Refuses what is over the namespace's max message size as Azure does: under the message-size
 * condition, which the SDK reports as `MessageSizeExceeded`, not retryable. `what` starts the
 * sentence ("The received message", "The session state").
 */
export function checkMessageSize(what: string, sizeBytes: number, limitBytes: number): void {
  if (sizeBytes <= limitBytes) return;
  throw new BrokerError(
    Condition.messageSizeExceeded,
    `${what} (size ${sizeBytes} bytes) exceeds the namespace's max message size ` +
      `(${limitBytes} bytes).`,
    413,
  );
}
