import { ConfigError } from '../shared/errors';
import {
  ENTITY_NAME_RULE,
  isValidEntityName,
  splitSubQueue,
  type SubQueue,
  SUB_QUEUE_SUFFIX,
  SUBSCRIPTION_NAME,
  SUBSCRIPTION_NAME_RULE,
} from '../shared/serviceBusNames';
import { DEFAULT_CONNECTION_NAME, resolveSettingExpressions } from './connection';

/**
 * The names a binding gives (queues, topics, subscriptions, the connection setting), after
 * `%SETTING%` resolution, checked as Azure checks them; errors show them as written.
 */

/** A queue or topic name as Azure allows it, once its %SETTING% expressions are resolved. */
export function entityName(raw: string, settings: Record<string, string>, what: string): string {
  const name = resolveSettingExpressions(raw, settings, what);
  if (isValidEntityName(name)) return name;
  throw new ConfigError(
    `${what} ${shown(raw, name)} is not a valid Service Bus entity name (${ENTITY_NAME_RULE})`,
  );
}

/** What a trigger's queueName or subscriptionName names: the entity, and maybe a sub-queue. */
export interface ReceiveName {
  name: string;
  subQueue?: SubQueue;
}

const SUB_QUEUE_RULE =
  `a trigger may add ${SUB_QUEUE_SUFFIX.deadLetter} or ` +
  `${SUB_QUEUE_SUFFIX.transferDeadLetter} to read the dead-letter queue`;

/**
 * A trigger's queueName, which may end in a dead-letter sub-queue (`orders/$DeadLetterQueue`):
 * the host hands the whole path to its client, which receives from that sub-queue.
 */
export function triggerQueueName(
  raw: string,
  settings: Record<string, string>,
  what: string,
): ReceiveName {
  return receiveName(raw, settings, what, isValidEntityName, {
    noun: 'Service Bus entity name',
    rule: ENTITY_NAME_RULE,
  });
}

/** A trigger's subscriptionName, which may end in a sub-queue as a queueName may. */
export function triggerSubscriptionName(
  raw: string,
  settings: Record<string, string>,
  what: string,
): ReceiveName {
  return receiveName(raw, settings, what, (name) => SUBSCRIPTION_NAME.test(name), {
    noun: 'subscription name',
    rule: SUBSCRIPTION_NAME_RULE,
  });
}

function receiveName(
  raw: string,
  settings: Record<string, string>,
  what: string,
  isValid: (name: string) => boolean,
  refusal: { noun: string; rule: string },
): ReceiveName {
  const resolved = resolveSettingExpressions(raw, settings, what);
  const { entity, subQueue } = splitSubQueue(resolved);
  if (isValid(entity))
    return subQueue === undefined ? { name: entity } : { name: entity, subQueue };
  throw new ConfigError(
    `${what} ${shown(raw, resolved)} is not a valid ${refusal.noun} ` +
      `(${refusal.rule}; ${SUB_QUEUE_RULE})`,
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
export function connectionName(value: unknown, what: string): string {
  const name = optionalString(value) ?? DEFAULT_CONNECTION_NAME;
  if (!CONNECTION_STRING_SHAPE.test(name)) return name;
  throw new ConfigError(
    `${what}: connection holds a connection string (not shown), not the name of a setting; ` +
      'put the string in an app setting such as ServiceBusConnection and name that setting',
  );
}

/** A binding option that is a non-blank string, else undefined. */
export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
