import type {
  ServiceBusClient,
  ServiceBusReceiver,
  ServiceBusReceiverOptions,
} from '@azure/service-bus';

import type { ConnectionTarget } from '../shared/connectionString';
import type { Logger } from '../shared/logger';
import type { Dispatcher } from './dispatcher';
import { entityPath, type ServiceBusFunction } from './functionPlan';
import type { ServiceBusSettings } from './hostSettings';
import { type ListenerIdentity, OutageTracker } from './outage';
import { type SlotsExhausted, TimedOutHandlers } from './timedOutHandlers';
import type { TriggerContextInfo } from './triggerInput';

/** What shutdown and the runtime need from every kind of listener. */
export interface Listener {
  readonly functionName: string;
  start(): Promise<void>;
  /** Stops taking new messages; in-flight invocations carry on and settle. */
  stopReceiving(): Promise<void>;
  /** Messages received and not yet settled: invoking, settling or held (below). */
  inFlightCount(): number;
  /** Of those, the ones received but waiting for their invocation (prefetch, batch cache). */
  heldCount(): number;
  /** Resolves when nothing is in flight any more. */
  whenIdle(): Promise<void>;
  /** Abandons what is still in flight (shutdown after the grace period). */
  abandonInFlight(): Promise<number>;
  close(): Promise<void>;
}

export interface ListenerDeps {
  fn: ServiceBusFunction;
  client: ServiceBusClient;
  /** The client's endpoint and setting, for the first failure's explanation. */
  connectionTarget?: ConnectionTarget;
  dispatcher: Dispatcher;
  serviceBus: ServiceBusSettings;
  logger: Logger;
  /** For the lines about the function's invocations: the level of `Function.<name>`. */
  invocationLogger: Logger;
  triggerInfo: TriggerContextInfo;
  /** Every slot of the function is held by a timed-out handler that has not returned, */
  onSlotsExhausted?: (report: SlotsExhausted) => void;
  /** for this long. */
  slotsExhaustedWaitMs: number;
}

/**
 * Receiver options shared by all listeners: raw bodies and dates, as the host needs them. The SDK
 * renews no lock: message locks are renewed by `lockRenewal`, session locks by
 * `sessionLockRenewal`, both retrying as the host does.
 */
export function receiverOptions(): ServiceBusReceiverOptions {
  return {
    receiveMode: 'peekLock',
    maxAutoLockRenewalDurationInMs: 0,
    skipParsingBodyAsJson: true,
    skipConvertingDate: true,
  };
}

export function createEntityReceiver(
  client: ServiceBusClient,
  fn: ServiceBusFunction,
  options: ServiceBusReceiverOptions,
): ServiceBusReceiver {
  return fn.entity.kind === 'queue'
    ? client.createReceiver(fn.entity.queueName, options)
    : client.createReceiver(fn.entity.topicName, fn.entity.subscriptionName, options);
}

/**
 * A listener's outage tracker: one streak of failures and delays for all of its receivers,
 * its refusal lines naming the function, its entity and its sessions setting.
 */
export function listenerOutageTracker(deps: ListenerDeps): OutageTracker {
  const { fn, connectionTarget } = deps;
  const identity: ListenerIdentity = {
    functionName: fn.name,
    entityPath: entityPath(fn.entity),
    isSessionsEnabled: fn.isSessionsEnabled,
    ...(connectionTarget === undefined ? {} : { connection: connectionTarget }),
  };
  return new OutageTracker(deps.logger, deps.serviceBus.clientRetryOptions, identity);
}

/** A listener's timed-out handlers, each holding one of its `slotCount` slots until it returns. */
export function listenerTimedOutHandlers(
  deps: ListenerDeps,
  slotName: string,
  slotCount: number,
): TimedOutHandlers {
  return new TimedOutHandlers({
    functionName: deps.fn.name,
    slotName,
    slotCount,
    logger: deps.logger,
    onSlotsExhausted: deps.onSlotsExhausted,
    exhaustedWaitMs: deps.slotsExhaustedWaitMs,
  });
}
