import { ConfigError } from '../shared/errors';
import {
  ENTITY_NAME_RULE,
  FUNCTION_NAME_RULE,
  isValidEntityName,
  isValidFunctionName,
  SUBSCRIPTION_NAME,
  SUBSCRIPTION_NAME_RULE,
} from '../shared/serviceBusNames';
import { DEFAULT_CONNECTION_NAME, resolveSettingExpressions } from './connection';
import type { AppRegistry, RegisteredFunction } from './coreModule';
import type { RpcBindingInfo } from './coreTypes';
import { disabledSettingsForUnknownFunctions, notHostedReason } from './functionSelection';
import type { ServiceBusSettings } from './hostSettings';

export type TriggerEntity =
  | { kind: 'queue'; queueName: string }
  | { kind: 'subscription'; topicName: string; subscriptionName: string };

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

  return {
    name,
    registered,
    triggerBindingName,
    entity: triggerEntity(trigger, settings, where),
    connectionName: connectionName(trigger.connection, where),
    isSessionsEnabled: flag(trigger.isSessionsEnabled, false, `${where} isSessionsEnabled`),
    cardinality: cardinality(trigger.cardinality, where),
    dataType: dataType(trigger.dataType, where),
    autoCompleteMessages: flag(
      trigger.autoCompleteMessages,
      serviceBus.autoCompleteMessages,
      `${where} autoCompleteMessages`,
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
    const what = `${where} queueName`;
    return {
      kind: 'queue',
      queueName: entityName(queueName, settings, what),
    };
  }

  const topicName = optionalString(trigger.topicName);
  const subscriptionName = optionalString(trigger.subscriptionName);
  if (topicName === undefined || subscriptionName === undefined) {
    throw new ConfigError(`${where} needs queueName, or topicName and subscriptionName`);
  }
  const topicWhat = `${where} topicName`;
  const subscriptionWhat = `${where} subscriptionName`;
  const subscription = resolveSettingExpressions(subscriptionName, settings, subscriptionWhat);
  if (!SUBSCRIPTION_NAME.test(subscription)) {
    throw new ConfigError(
      `${subscriptionWhat} ${shown(subscriptionName, subscription)} is not a valid ` +
        `subscription name (${SUBSCRIPTION_NAME_RULE})`,
    );
  }
  return {
    kind: 'subscription',
    topicName: entityName(topicName, settings, topicWhat),
    subscriptionName: subscription,
  };
}

/** A queue or topic name as Azure allows it, once its %SETTING% expressions are resolved. */
function entityName(raw: string, settings: Record<string, string>, what: string): string {
  const name = resolveSettingExpressions(raw, settings, what);
  if (isValidEntityName(name)) return name;
  throw new ConfigError(
    `${what} ${shown(raw, name)} is not a valid Service Bus entity name (${ENTITY_NAME_RULE})`,
  );
}

/**
 * A connection string where a name belongs: pasted into a binding's `connection`, or reached
 * through a %SETTING% expression that names the connection setting. Errors never show it.
 */
const CONNECTION_STRING_SHAPE =
  /(^|;)\s*(Endpoint|SharedAccessKeyName|SharedAccessKey|SharedAccessSignature)\s*=/i;

/** A name for an error: as written, with what its %SETTING% expressions gave, never a secret. */
function shown(raw: string, resolved: string): string {
  if (CONNECTION_STRING_SHAPE.test(resolved)) {
    return `"${CONNECTION_STRING_SHAPE.test(raw) ? '…' : raw}" (a connection string, not shown)`;
  }
  return raw === resolved ? `"${resolved}"` : `"${raw}" (resolved to "${resolved}")`;
}

/** The setting a binding's `connection` names (the host's default when it names none). */
function connectionName(value: unknown, what: string): string {
  const name = optionalString(value) ?? DEFAULT_CONNECTION_NAME;
  if (!CONNECTION_STRING_SHAPE.test(name)) return name;
  throw new ConfigError(
    `${what}: connection holds a connection string (not shown), not the name of a setting; ` +
      'put the string in an app setting such as ServiceBusConnection and name that setting',
  );
}

/** Where the trigger receives from, as the SDK and the logs name it. */
export function entityPath(entity: TriggerEntity): string {
  return entity.kind === 'queue'
    ? entity.queueName
    : `${entity.topicName}/Subscriptions/${entity.subscriptionName}`;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function flag(value: unknown, fallback: boolean, what: string): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(`${what} must be true or false`);
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

function positiveInteger(value: unknown, fallback: number, where: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  throw new ConfigError(`${where}: maxMessageBatchSize must be an integer of at least 1`);
}
