import type {
  ServiceBusClient,
  ServiceBusReceiver,
  ServiceBusReceiverOptions,
} from '@azure/service-bus';

import type { ConnectionTarget } from '../shared/connectionString';
import type { Logger } from '../shared/logger';
import { SUB_QUEUE_SUFFIX } from '../shared/serviceBusNames';
import type { Dispatcher } from './dispatcher';
import { entityPath, type ServiceBusFunction, type TriggerEntity } from './functionPlan';
import type { ServiceBusSettings } from './hostSettings';
import type { ListenerIdentity } from './outage';
import { type ReceiveRefusal, RefusalTracker } from './receiveRefusal';
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
  /** The refusal Service Bus keeps giving this listener's receiver, while it lasts. */
  refusal(): ReceiveRefusal | undefined;
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

/** A receiver on the function's queue or subscription, or on its dead-letter sub-queue. */
export function createEntityReceiver(
  client: ServiceBusClient,
  fn: ServiceBusFunction,
  options: ServiceBusReceiverOptions,
): ServiceBusReceiver {
  const { entity } = fn;
  const receiverOptions =
    entity.subQueue === undefined ? options : { ...options, subQueueType: entity.subQueue };
  return entity.kind === 'queue'
    ? client.createReceiver(entity.queueName, receiverOptions)
    : client.createReceiver(entity.topicName, entity.subscriptionName, receiverOptions);
}

/**
 * The entity as the SDK's session receivers take it. They have no sub-queue option, so a
 * sub-queue goes into the last name, the path the host's client receives from; the broker then
 * answers as it answers the host (the emulator refuses: its dead-letter queues have no sessions).
 */
export function sessionEntity(entity: TriggerEntity): TriggerEntity {
  if (entity.subQueue === undefined) return entity;

  const suffix = SUB_QUEUE_SUFFIX[entity.subQueue];
  return entity.kind === 'queue'
    ? { kind: 'queue', queueName: entity.queueName + suffix }
    : {
        kind: 'subscription',
        topicName: entity.topicName,
        subscriptionName: entity.subscriptionName + suffix,
      };
}

/**
 * A listener's outage tracker: one streak of failures and delays for all of its receivers,
 * its refusal lines naming the function, its entity and its sessions setting; it remembers an
 * ongoing refusal for `refusal()`.
 */
export function listenerOutageTracker(deps: ListenerDeps): RefusalTracker {
  const { fn, connectionTarget } = deps;
  const identity: ListenerIdentity = {
    functionName: fn.name,
    entityPath: entityPath(fn.entity),
    isSessionsEnabled: fn.isSessionsEnabled,
    ...(connectionTarget === undefined ? {} : { connection: connectionTarget }),
  };
  return new RefusalTracker(deps.logger, deps.serviceBus.clientRetryOptions, fn.name, identity);
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
