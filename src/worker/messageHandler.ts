import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { errorCode, mostTellingAttempt } from '../shared/attemptErrors';
import type { Logger } from '../shared/logger';
import type { Dispatcher, DispatchResult } from './dispatcher';
import type { ServiceBusFunction } from './functionPlan';
import { LockRenewal } from './lockRenewal';
import { messageIdText } from '../shared/messageIdText';
import { decideSettlement, settle } from './settle';
import {
  buildTraceContext,
  buildTriggerMetadata,
  bodyAsHostString,
  type ReceivedMessageLike,
  type TriggerContextInfo,
  triggerInputData,
} from './triggerInput';

export interface MessageHandlerDeps {
  fn: ServiceBusFunction;
  /** Message lock renewal limit; 0 for none (sessions renew the session lock instead). */
  lockRenewalMs: number;
  dispatcher: Dispatcher;
  logger: Logger;
  /** For the invocation lines (`Executed …`): the level of `Function.<name>`. */
  invocationLogger: Logger;
  triggerInfo: TriggerContextInfo;
}

/** A message being handled, so that shutdown can abandon it when the grace period ends. */
export interface InFlightMessage {
  message: ServiceBusReceivedMessage;
  receiver: ServiceBusReceiver;
  /** Set by shutdown: the message was already abandoned, so the handler must not settle it. */
  settledByShutdown: boolean;
  /** Set when the handler starts settling: shutdown then leaves the message to it. */
  settling?: boolean;
  /** For a message held before its invocation: the lock it had left when it arrived, */
  lockLeftOnArrivalMs?: number;
  /** and when that was (epoch ms). */
  heldSinceMs?: number;
  /** While its invocation runs: the lock renewal, which shutdown stops when it abandons. */
  renewal?: LockRenewal;
}

/**
 * Handles one received message end to end: builds the input as the host does, dispatches the
 * invocation, settles, and writes the invocation log line. Never throws.
 */
export async function handleMessage(
  deps: MessageHandlerDeps,
  entry: InFlightMessage,
): Promise<DispatchResult> {
  const outcome = await invokeMessage(deps, entry);
  await finishMessage(deps, entry, outcome);
  return outcome;
}

/**
 * The invocation part of a message: lock renewal while it runs, the input as the host builds
 * it, the dispatch. Never throws; the result says how the invocation ended.
 */
export async function invokeMessage(
  deps: MessageHandlerDeps,
  entry: InFlightMessage,
): Promise<DispatchResult> {
  const { fn, dispatcher } = deps;
  const message = entry.message as ServiceBusReceivedMessage & ReceivedMessageLike;
  const renewal =
    deps.lockRenewalMs > 0
      ? new LockRenewal(entry.receiver, message, deps.lockRenewalMs, deps.logger)
      : undefined;
  entry.renewal = renewal;

  const outcome = await dispatcher.dispatch(
    fn,
    (invocationId) => {
      if (renewal !== undefined) renewal.invocationId = invocationId;
      const data = triggerInputData(message, fn.dataType);
      const bodyText = fn.dataType === 'binary' || data === null ? null : bodyAsHostString(message);
      return {
        inputData: [{ name: fn.triggerBindingName, data }],
        triggerMetadata: buildTriggerMetadata(message, deps.triggerInfo, bodyText),
        traceContext: buildTraceContext(message),
      };
    },
    // Outputs on their way make the message settling: shutdown's abandon would run it again
    // and send them twice.
    () => {
      if (entry.settledByShutdown) return false;
      entry.settling = true;
      return true;
    },
  );
  // As in the host, renewal ends with the invocation, whether or not the message is settled.
  renewal?.stop();
  return outcome;
}

/** Settles the message as the host does after the invocation, then logs the invocation line. */
export async function finishMessage(
  deps: MessageHandlerDeps,
  entry: InFlightMessage,
  outcome: DispatchResult,
): Promise<void> {
  if (entry.settledByShutdown) {
    logInvocation(deps, entry.message, outcome, 'abandonedAtShutdown');
    return;
  }

  entry.settling = true;
  const settlement = decideSettlement({
    result: outcome.result,
    autoCompleteMessages: deps.fn.autoCompleteMessages,
  });
  const settled = await settle(
    entry.receiver,
    entry.message,
    settlement,
    deps.logger,
    outcome.invocationId,
  );
  logInvocation(deps, entry.message, outcome, settled);
}

function logInvocation(
  deps: MessageHandlerDeps,
  message: ServiceBusReceivedMessage,
  outcome: DispatchResult,
  settlement: string,
): void {
  // The invocation logger already binds `function`.
  const fields = {
    invocationId: outcome.invocationId,
    messageId: messageIdText(message.messageId),
    deliveryCount: (message.deliveryCount ?? 0) + 1,
    sessionId: message.sessionId,
    durationMs: Math.round(outcome.durationMs),
    outcome: outcome.result,
    settlement,
  };

  if (outcome.result === 'succeeded') {
    deps.invocationLogger.info(`Executed '${deps.fn.name}' (succeeded)`, fields);
    return;
  }
  deps.invocationLogger.error(`Executed '${deps.fn.name}' (${outcome.result})`, {
    ...fields,
    ...failureFields(outcome.error),
  });
  deps.invocationLogger.debug('Invocation error stack', {
    invocationId: outcome.invocationId,
    stack: outcome.error?.stack,
  });
}

/**
 * The log fields of a failed invocation's error: message, code, whether a retry can help (when
 * the error says), and what lay underneath: a failed output send's refusal, its most telling
 * attempt when the SDK gave up with an AggregateError of them.
 */
export function failureFields(error: Error | undefined): Record<string, unknown> {
  const retryable = (error as { retryable?: unknown } | undefined)?.retryable;
  const cause = mostTellingAttempt((error as { cause?: unknown } | undefined)?.cause);
  return {
    error: error?.message,
    errorCode: (error as { code?: unknown } | undefined)?.code,
    ...(typeof retryable === 'boolean' ? { retryable } : {}),
    ...(cause instanceof Error ? { causeCode: errorCode(cause), cause: cause.message } : {}),
  };
}

/**
 * The line for a message handed back at shutdown without an invocation: its delivery counts,
 * and at MaxDeliveryCount it is dead-lettered without ever having run.
 */
export function logHandedBack(
  logger: Logger,
  message: ServiceBusReceivedMessage,
  reason: 'prefetched' | 'arrivedAfterStop',
): void {
  logger.info('Abandoned at shutdown without an invocation', {
    messageId: messageIdText(message.messageId),
    deliveryCount: (message.deliveryCount ?? 0) + 1,
    reason,
  });
}
