import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import type { Logger } from '../shared/logger';
import { messageIdText } from '../shared/messageIdText';
import { LockRenewalSchedule, type RenewableLock } from './lockRenewalSchedule';

/**
 * Keeps a message's lock alive while its invocation runs, for up to `maxDurationMs` after it was
 * received (Infinity: until stopped). Ours rather than the SDK's, because the host stops
 * renewing when the invocation ends, settled or not; the SDK would go on renewing an
 * unsettled message. One object per message rather than closures: it is made for every
 * invocation.
 */
export class LockRenewal implements RenewableLock {
  readonly kind = 'message';
  readonly #schedule: LockRenewalSchedule;
  /** Named in the warning when the limit is reached; set once the invocation has its id. */
  invocationId: string | undefined;

  constructor(
    private readonly receiver: ServiceBusReceiver,
    private readonly message: ServiceBusReceivedMessage,
    maxDurationMs: number,
    private readonly logger: Logger,
  ) {
    this.#schedule = new LockRenewalSchedule(this, message.lockedUntilUtc, maxDurationMs, logger);
  }

  stop(): void {
    this.#schedule.stop();
  }

  /** The SDK (7.9.5) takes no abort signal here: a late answer is ignored after stop. */
  renew(): Promise<Date> {
    return this.receiver.renewMessageLock(this.message);
  }

  logFields(): Record<string, unknown> {
    return { messageId: messageIdText(this.message.messageId) };
  }

  /**
   * The invocation outlived maxAutoLockRenewalDuration: the host stops renewing too, and the
   * message comes back to the queue when its lock expires, possibly to a second invocation while
   * this one still runs. Said once, so that a double run is explained in the logs.
   */
  onLimitReached(details: { renewedForMs: number; lockedUntil: Date | undefined }): void {
    this.logger.warn(
      'Lock renewal stopped: maxAutoLockRenewalDuration reached while the invocation runs. ' +
        'The lock will now expire and the message may be delivered again while this ' +
        'invocation still runs',
      {
        messageId: messageIdText(this.message.messageId),
        invocationId: this.invocationId,
        renewedForMs: details.renewedForMs,
        lockedUntil: details.lockedUntil?.toISOString(),
      },
    );
  }
}
