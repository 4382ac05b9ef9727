import { ConfigError } from '../shared/errors';
import { INT32_MAX, netBoolean, netInteger } from '../shared/netValueText';
import {
  FUNCTION_NAME_RULE,
  isValidFunctionName,
  type SubQueue,
  SUB_QUEUE_SUFFIX,
} from '../shared/serviceBusNames';
import {
  connectionName,
  entityName,
  optionalString,
  triggerQueueName,
  triggerSubscriptionName,
} from './bindingNames';
import type { AppRegistry, RegisteredFunction } from './coreModule';
import type { RpcBindingInfo } from './coreTypes';
import { disabledSettingsForUnknownFunctions, notHostedReason } from './functionSelection';
import type { ServiceBusSettings } from './hostSettings';

/**
 * The queue or subscription a trigger reads, and, when it reads the dead-letter queue
 * (`orders/$DeadLetterQueue`), that sub-queue: the names are always the entity's own.
 */
export type TriggerEntity = (
  | { kind: 'queue'; queueName: string }
  | { kind: 'subscription'; topicName: string; subscriptionName: string }
) & { subQueue?: SubQueue };

/** A Service Bus output binding (`output.serviceBusQueue` / `serviceBusTopic`). */
export interface ServiceBusOutput {
  /** The binding's name; `$return` for the handler's return value. */
  bindingName: string;
  /** Queue or topic name after `%SETTING%` resolution. */
  entityName: string;
  entityKind: 'queue' | 'topic';
  connectionName: string;
}

/** One Service Bus-triggered function with its effective options, ready for a listener. */
export interface ServiceBusFunction {
  name: string;
  registered: RegisteredFunction;
  triggerBindingName: string;
  entity: TriggerEntity;
  connectionName: string;
  isSessionsEnabled: boolean;
  cardinality: 'one' | 'many';
  /** 'binary' gives the handler a Buffer; otherwise the host's string conversion applies. */
  dataType: 'binary' | 'string' | undefined;
  autoCompleteMessages: boolean;
  maxMessageBatchSize: number;
  outputs: ServiceBusOutput[];
  /** Output bindings of other types: their values are dropped (logged at start-up). */
  unsupportedOutputs: string[];
  /** The function's `retry` option, which is not run for Service Bus (logged at start-up). */
  ignoredRetry: IgnoredRetry | undefined;
}

/** What start-up logs about a `retry` option: its strategy and count, for the user to find. */
export interface IgnoredRetry {
  strategy: string;
  maxRetryCount: number | undefined;
}

export interface FunctionPlan {
  functions: ServiceBusFunction[];
  /**
   * Registered functions this worker does not run, with the reason; `serviceBus` when it has a
   * Service Bus trigger but is left out (disabled, not listed, an SDK-type trigger).
   */
  skipped: Array<{ name: string; reason: string; serviceBus?: boolean }>;
  /** `AzureWebJobs.<name>.Disabled` settings whose name is no registered function. */
  unknownDisabled: string[];
}

/**
 * Turns the app's registrations into listener plans: effective per-function options over the
 * host.json values (as the extension's attribute overrides do), entity names with `%SETTING%`
 * resolved, and the Service Bus output bindings.
 *
 * @throws ConfigError naming the function and the option that is missing or invalid.
 */
export function planFunctions(
  registry: AppRegistry,
  serviceBus: ServiceBusSettings,
  settings: Record<string, string>,
  functionNames?: string[],
): FunctionPlan {
  const registeredNames = [...registry.functions.values()].map((r) => r.metadata.name);
  const plan: FunctionPlan = {
    functions: [],
    skipped: [],
    unknownDisabled: disabledSettingsForUnknownFunctions(settings, registeredNames),
  };
  for (const registered of registry.functions.values()) {
    const bindings = Object.entries(registered.metadata.bindings);
    const trigger = bindings.find(([, b]) => /trigger$/i.test(b.type ?? ''));
    if (trigger === undefined || trigger[1].type?.toLowerCase() !== 'servicebustrigger') {
      const type = trigger?.[1].type ?? 'no trigger';
      plan.skipped.push({
        name: registered.metadata.name,
        reason: `trigger type ${type} is not hosted here`,
      });
      continue;
    }
    const notHosted = notHostedReason(registered.metadata.name, trigger[1], {
      functionNames,
      settings,
    });
    if (notHosted !== undefined) {
      plan.skipped.push({ name: registered.metadata.name, reason: notHosted, serviceBus: true });
      continue;
    }
    plan.functions.push(
      planOne(registered, trigger[0], trigger[1], bindings, serviceBus, settings),
    );
  }
  return plan;
}

function planOne(
  registered: RegisteredFunction,
  triggerBindingName: string,
  trigger: RpcBindingInfo,
  bindings: Array<[string, RpcBindingInfo]>,
  serviceBus: ServiceBusSettings,
  settings: Record<string, string>,
): ServiceBusFunction {
  const name = registered.metadata.name;
  const where = `function '${name}'`;
  if (!isValidFunctionName(name)) {
    throw new ConfigError(
      `'${name}' is not a valid function name in Azure Functions (${FUNCTION_NAME_RULE})`,
    );
  }

  const outputs: ServiceBusOutput[] = [];
  const unsupportedOutputs: string[] = [];
  for (const [bindingName, binding] of bindings) {
    if (binding.direction !== 'out') continue;
    if (binding.type?.toLowerCase() !== 'servicebus') {
      unsupportedOutputs.push(`${bindingName} (${binding.type ?? 'unknown'})`);
      continue;
    }
    const queueName = optionalString(binding.queueName);
    const entity = queueName ?? optionalString(binding.topicName);
    if (entity === undefined)
      throw new ConfigError(`${where}: output ${bindingName} names no queueName or topicName`);
    const what = `${where} output ${bindingName}`;
    outputs.push({
      bindingName,
      entityName: entityName(entity, settings, what),
      entityKind: queueName === undefined ? 'topic' : 'queue',
      connectionName: connectionName(binding.connection, what),
    });
  }

  const entity = triggerEntity(trigger, settings, where);
  const isSessionsEnabled = flag(trigger.isSessionsEnabled, false, `${where}: isSessionsEnabled`);
  // Service Bus gives a dead-letter queue no sessions, whatever its entity requires; a session
  // receiver on one is refused at every attempt, so say so before anything connects.
  if (isSessionsEnabled && entity.subQueue !== undefined) {
    throw new ConfigError(
      `${where} has isSessionsEnabled true on a dead-letter queue (${entityPath(entity)}), ` +
        'which has no sessions: remove isSessionsEnabled from this trigger',
    );
  }
  return {
    name,
    registered,
    triggerBindingName,
    entity,
    connectionName: connectionName(trigger.connection, where),
    isSessionsEnabled,
    cardinality: cardinality(trigger.cardinality, where),
    dataType: dataType(trigger.dataType, where),
    autoCompleteMessages: flag(
      trigger.autoCompleteMessages,
      serviceBus.autoCompleteMessages,
      `${where}: autoCompleteMessages`,
    ),
    maxMessageBatchSize: batchSize(trigger, serviceBus, where),
    outputs,
    unsupportedOutputs,
    ignoredRetry: ignoredRetry(registered.metadata.retryOptions),
  };
}

/**
 * The library passes `retry` on as `retryOptions` metadata. The host runs no such policy for
 * Service Bus triggers (support was withdrawn), so neither does this worker; the broker's
 * redelivery is the retry.
 */
function ignoredRetry(retryOptions: unknown): IgnoredRetry | undefined {
  if (typeof retryOptions !== 'object' || retryOptions === null) return undefined;

  const { strategy, retryStrategy, maxRetryCount } = retryOptions as Record<string, unknown>;
  const named = [strategy, retryStrategy].find((v): v is string => typeof v === 'string');
  return {
    strategy: named ?? 'unknown',
    maxRetryCount: typeof maxRetryCount === 'number' ? maxRetryCount : undefined,
  };
}

function triggerEntity(
  trigger: RpcBindingInfo,
  settings: Record<string, string>,
  where: string,
): TriggerEntity {
  const queueName = optionalString(trigger.queueName);
  if (queueName !== undefined) {
    const { name, subQueue } = triggerQueueName(queueName, settings, `${where}: queueName`);
    return { kind: 'queue', queueName: name, ...(subQueue === undefined ? {} : { subQueue }) };
  }

  const topicName = optionalString(trigger.topicName);
  const subscriptionName = optionalString(trigger.subscriptionName);
  if (topicName === undefined || subscriptionName === undefined) {
    throw new ConfigError(`${where} needs queueName, or topicName and subscriptionName`);
  }
  const subscriptionWhat = `${where}: subscriptionName`;
  const { name, subQueue } = triggerSubscriptionName(subscriptionName, settings, subscriptionWhat);
  return {
    kind: 'subscription',
    topicName: entityName(topicName, settings, `${where}: topicName`),
    subscriptionName: name,
    ...(subQueue === undefined ? {} : { subQueue }),
  };
}

/**
 * Where the trigger receives from, as the SDK and the logs name it; with `subQueue` false, the
 * queue or subscription whose dead-letter queue it may read.
 */
export function entityPath(entity: TriggerEntity, subQueue = true): string {
  const path =
    entity.kind === 'queue'
      ? entity.queueName
      : `${entity.topicName}/Subscriptions/${entity.subscriptionName}`;
  if (!subQueue || entity.subQueue === undefined) return path;
  return path + SUB_QUEUE_SUFFIX[entity.subQueue];
}

/** A trigger's on/off option, as the host reads it (`true` or `"False"`, not `"yes"`). */
function flag(value: unknown, fallback: boolean, what: string): boolean {
  if (value === undefined || value === null) return fallback;

  const parsed = netBoolean(value);
  if (parsed !== undefined) return parsed;
  throw new ConfigError(`${what} must be true or false (got ${shownOption(value)})`);
}

function cardinality(value: unknown, where: string): 'one' | 'many' {
  if (value === undefined || value === null) return 'one';
  if (value === 'one' || value === 'many') return value;
  throw new ConfigError(`${where}: cardinality must be 'one' or 'many'`);
}

function dataType(value: unknown, where: string): ServiceBusFunction['dataType'] {
  if (value === undefined || value === null || value === 'undefined') return undefined;
  if (value === 'binary' || value === 'string') return value;
  throw new ConfigError(
    `${where}: dataType ${JSON.stringify(value)} is not supported for Service Bus`,
  );
}

/** A function's own batch size must leave room for the host's minimum batch. */
function batchSize(trigger: RpcBindingInfo, serviceBus: ServiceBusSettings, where: string): number {
  const size = positiveInteger(trigger.maxMessageBatchSize, serviceBus.maxMessageBatchSize, where);
  if (trigger.cardinality === 'many' && size < serviceBus.minMessageBatchSize) {
    throw new ConfigError(
      `${where}: maxMessageBatchSize ${size} is below minMessageBatchSize ` +
        `${serviceBus.minMessageBatchSize}, so no batch could reach the minimum`,
    );
  }
  return size;
}

/** A trigger's count, as the host reads it into an `int` (`5` or `"5"`, not `"1.5"`). */
function positiveInteger(value: unknown, fallback: number, where: string): number {
  if (value === undefined || value === null) return fallback;

  const parsed = netInteger(value);
  if (parsed !== undefined && parsed >= 1 && parsed <= INT32_MAX) return parsed;
  throw new ConfigError(
    `${where}: maxMessageBatchSize must be an integer from 1 to ${INT32_MAX} ` +
      `(got ${shownOption(value)})`,
  );
}

/** An option's value for an error: the app's own code wrote it, but it may be any object. */
function shownOption(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a value of type ${typeof value}`;
}
