import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { errorCode, mostTellingAttempt } from '../shared/attemptErrors';
import { AppError, ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { messageIdText } from '../shared/messageIdText';
import { settle } from './settle';

type ReceiveOptions = NonNullable<Parameters<ServiceBusReceiver['receiveMessages']>[1]>;

/** Beyond the wait and the SDK's own link timeout: a receive this late will not return. */
const DEADLINE_MARGIN_MS = 5_000;
/**
 * How long a stalled receive may still hand over messages before it is aborted: past the
 * SDK's fixed 60 s close of its link it never ends by itself, and its receiver would be held.
 */
const STALLED_RECEIVE_ABORT_AFTER_MS = 70_000;

/** A receive past its deadline, handed to the caller with the error. */
export interface StalledReceive {
  /** The call itself: once the broker answers it may still hand over messages. */
  late: Promise<ServiceBusReceivedMessage[]>;
  /** Ends the call now; what it took until then stays locked until its lock expires. */
  abort(): void;
}

/**
 * `receiveMessages` with a deadline. @azure/service-bus 7.9.5 ends a receive by draining the
 * link's credit; when the broker stops answering (a frozen process, a network black hole) it
 * closes the link instead, and the receive never returns, even after the broker is back. So a
 * receive past its wait, the SDK's link timeout (`tryTimeoutMs`) and a margin fails with
 * `ReceiveStalled` (retried as an outage), and the caller replaces the receiver. The stalled
 * call goes to `afterStall`: once the broker answers it may still hand over messages, which
 * only its own receiver can give back, or be ended at once.
 */
export async function receiveWithDeadline(
  receiver: ServiceBusReceiver,
  maxMessageCount: number,
  options: ReceiveOptions & { maxWaitTimeInMs: number },
  tryTimeoutMs: number,
  afterStall: (stalled: StalledReceive) => void,
): Promise<ServiceBusReceivedMessage[]> {
  const deadlineMs = options.maxWaitTimeInMs + tryTimeoutMs + DEADLINE_MARGIN_MS;
  // The call's own signal: the caller's stops following a call once it has given up on it.
  const call = new AbortController();
  const abortCall = (): void => call.abort();
  options.abortSignal?.addEventListener('abort', abortCall, { once: true });
  if (options.abortSignal?.aborted === true) call.abort();
  const receiving = receiver.receiveMessages(maxMessageCount, {
    ...options,
    abortSignal: call.signal,
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(stalled(deadlineMs)), deadlineMs);
  });

  try {
    return await Promise.race([receiving, deadline]);
  } catch (error) {
    if (isReceiveStalled(error)) {
      setTimeout(abortCall, STALLED_RECEIVE_ABORT_AFTER_MS).unref();
      afterStall({ late: receiving, abort: abortCall });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    options.abortSignal?.removeEventListener('abort', abortCall);
  }
}

function stalled(deadlineMs: number): AppError {
  return new AppError(
    'ReceiveStalled',
    `a receive did not return within ${deadlineMs} ms (Service Bus stopped answering); ` +
      'the receiver is replaced',
    { retryable: true },
  );
}

function isReceiveStalled(error: unknown): boolean {
  return error instanceof AppError && error.code === 'ReceiveStalled';
}

/**
 * Gives back, through `receiver`, what its stalled receive hands over once the broker answers
 * (only that receiver can settle them), then closes it. Never rejects.
 */
export async function retireStalledReceiver(
  receiver: ServiceBusReceiver,
  late: Promise<ServiceBusReceivedMessage[]>,
  logger: Logger,
): Promise<void> {
  const messages = await late.catch((error: unknown) => {
    // Usually the abort above, once the broker stayed silent: nothing was handed over, so
    // nothing is lost; said at debug so that a stall can still be traced to its end.
    logger.debug('A stalled receive ended without messages', stalledEndFields(error));
    return [];
  });
  for (const message of messages) {
    logger.info('Abandoned without an invocation: its receive had stalled', {
      messageId: messageIdText(message.messageId),
      deliveryCount: (message.deliveryCount ?? 0) + 1,
      reason: 'arrivedAfterStall',
    });
    await settle(receiver, message, 'abandon', logger).catch(() => undefined);
  }
  await receiver.close().catch(() => undefined);
}

function stalledEndFields(error: unknown): Record<string, unknown> {
  const telling = mostTellingAttempt(error);
  return {
    code: errorCode(telling) ?? (telling instanceof Error ? telling.name : undefined),
    error: ensureError(telling).message,
  };
}
