import { readFileSync } from 'node:fs';

import { ConfigError, ensureError } from '../../shared/errors';
import { parseStrictJson } from '../../shared/jsonText';
import { outlineOf } from './outline';
import { crossEntityProblems, resolveForwardTargets } from './references';
import {
  configFileSchema,
  type ConfigFile,
  type QueueSection,
  type RuleSection,
  type SubscriptionSection,
  type TopicSection,
} from './schema';
import { describeIssue } from './issues';
import {
  DEFAULT_MAX_MESSAGE_SIZE_BYTES,
  DEFAULT_NAMESPACE_NAME,
  DEVELOPMENT_POLICY,
  namespaceWithDefaults,
  queueWithDefaults,
  subscriptionWithDefaults,
  topicWithDefaults,
} from './defaults';
import type {
  AccessRight,
  NamespaceConfig,
  QueueConfig,
  RuleConfig,
  SharedAccessPolicy,
  SubscriptionConfig,
  TopicConfig,
} from './types';

const KILOBYTE = 1024;
const MEGABYTE = 1024 * KILOBYTE;

/**
 * Reads a Config.json in the official emulator's format.
 * @throws ConfigError (code `InvalidConfiguration`) naming the file, entity and property.
 */
export function loadConfigFile(path: string): NamespaceConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the file: ${ensureError(error).message}`, {
      cause: error,
    });
  }

  return parseConfig(parseStrictJson(text, path), path);
}

/**
 * Checks parsed JSON against Azure Service Bus's limits and turns it into the broker's model,
 * with Azure's defaults for whatever is left out. Every problem is reported in one go: the
 * schema's (types, ranges, names, unknown properties), then names used twice, SQL that does
 * not parse and forwarding targets.
 * @param source - named at the start of every error message (usually the file path)
 * @throws ConfigError (code `InvalidConfiguration`), one line per problem, each naming the
 *   entity and the property.
 */
export function parseConfig(json: unknown, source: string): NamespaceConfig {
  const result = configFileSchema.safeParse(json, { reportInput: true });
  const schemaProblems = result.success
    ? []
    : result.error.issues.map((issue) => describeIssue(json, issue));
  const problems = [...schemaProblems, ...crossEntityProblems(outlineOf(json))];
  if (!result.success || problems.length > 0) {
    const message = problems.map((problem) => `${source}: ${problem}`).join('\n');
    throw new ConfigError(message, { cause: result.error });
  }

  const file = result.data;
  const namespace = file.UserConfig.Namespaces[0]!;
  const config = namespaceWithDefaults({
    name: namespace.Name ?? DEFAULT_NAMESPACE_NAME,
    queues: (namespace.Queues ?? []).map(toQueue),
    topics: (namespace.Topics ?? []).map(toTopic),
    policies: toPolicies(file),
    maxMessageSizeBytes: toMaxMessageSize(file),
    namespaceQuotaBytes: toQuota(file),
  });

  resolveForwardTargets(config);
  return config;
}

function toQueue(queue: QueueSection): QueueConfig {
  const properties = queue.Properties ?? {};
  return queueWithDefaults(
    queue.Name,
    dropUndefined({
      lockDurationMs: properties.LockDuration,
      maxDeliveryCount: properties.MaxDeliveryCount,
      defaultMessageTimeToLiveMs: properties.DefaultMessageTimeToLive,
      requiresSession: properties.RequiresSession,
      requiresDuplicateDetection: properties.RequiresDuplicateDetection,
      duplicateDetectionHistoryTimeWindowMs: properties.DuplicateDetectionHistoryTimeWindow,
      deadLetteringOnMessageExpiration: properties.DeadLetteringOnMessageExpiration,
      forwardTo: properties.ForwardTo,
      forwardDeadLetteredMessagesTo: properties.ForwardDeadLetteredMessagesTo,
      maxSizeInMegabytes: properties.MaxSizeInMegabytes,
    }),
  );
}

function toTopic(topic: TopicSection): TopicConfig {
  const properties = topic.Properties ?? {};
  return topicWithDefaults(
    topic.Name,
    dropUndefined({
      defaultMessageTimeToLiveMs: properties.DefaultMessageTimeToLive,
      requiresDuplicateDetection: properties.RequiresDuplicateDetection,
      duplicateDetectionHistoryTimeWindowMs: properties.DuplicateDetectionHistoryTimeWindow,
      maxSizeInMegabytes: properties.MaxSizeInMegabytes,
      subscriptions: (topic.Subscriptions ?? []).map(toSubscription),
    }),
  );
}

function toSubscription(subscription: SubscriptionSection): SubscriptionConfig {
  const properties = subscription.Properties ?? {};
  return subscriptionWithDefaults(
    subscription.Name,
    dropUndefined({
      lockDurationMs: properties.LockDuration,
      maxDeliveryCount: properties.MaxDeliveryCount,
      defaultMessageTimeToLiveMs: properties.DefaultMessageTimeToLive,
      requiresSession: properties.RequiresSession,
      deadLetteringOnMessageExpiration: properties.DeadLetteringOnMessageExpiration,
      deadLetteringOnFilterEvaluationExceptions:
        properties.DeadLetteringOnFilterEvaluationExceptions,
      forwardTo: properties.ForwardTo,
      forwardDeadLetteredMessagesTo: properties.ForwardDeadLetteredMessagesTo,
      rules: (subscription.Rules ?? []).map(toRule),
    }),
  );
}

/** The schema has made sure the filter FilterType names is there; SQL has been parsed. */
function toRule(rule: RuleSection): RuleConfig {
  const properties = rule.Properties;
  const action =
    properties.Action === undefined
      ? null
      : { kind: 'sql' as const, expression: properties.Action.SqlExpression };

  if (properties.FilterType === 'Sql') {
    const expression = properties.SqlFilter?.SqlExpression ?? '';
    return { name: rule.Name, filter: { kind: 'sql', expression }, action };
  }

  const correlation = properties.CorrelationFilter ?? {};
  const filter = dropUndefined({
    correlationId: correlation.CorrelationId,
    messageId: correlation.MessageId,
    to: correlation.To,
    replyTo: correlation.ReplyTo,
    subject: correlation.Label,
    sessionId: correlation.SessionId,
    replyToSessionId: correlation.ReplyToSessionId,
    contentType: correlation.ContentType,
  });
  const applicationProperties = { ...(correlation.Properties ?? {}) };
  return {
    name: rule.Name,
    filter: { kind: 'correlation', ...filter, properties: applicationProperties },
    action,
  };
}

function toPolicies(file: ConfigFile): SharedAccessPolicy[] {
  const configured = (file.SbworkerEmulator?.SharedAccessPolicies ?? []).map((policy) => ({
    name: policy.Name,
    key: policy.Key,
    rights: withImpliedRights(policy.Rights),
  }));

  const redefinesDevelopmentPolicy = configured.some(
    (policy) => policy.name.toLowerCase() === DEVELOPMENT_POLICY.name.toLowerCase(),
  );
  return redefinesDevelopmentPolicy ? configured : [{ ...DEVELOPMENT_POLICY }, ...configured];
}

/** In Azure, Manage includes Send and Listen. */
function withImpliedRights(rights: AccessRight[]): AccessRight[] {
  const all = new Set(rights);
  if (all.has('Manage')) {
    all.add('Send');
    all.add('Listen');
  }
  return (['Manage', 'Send', 'Listen'] as const).filter((right) => all.has(right));
}

function toMaxMessageSize(file: ConfigFile): number {
  const kilobytes = file.SbworkerEmulator?.MaxMessageSizeInKilobytes;
  return kilobytes === undefined ? DEFAULT_MAX_MESSAGE_SIZE_BYTES : kilobytes * KILOBYTE;
}

function toQuota(file: ConfigFile): number | null {
  const megabytes = file.SbworkerEmulator?.NamespaceQuotaInMegabytes;
  return megabytes === undefined ? null : megabytes * MEGABYTE;
}

/** Leaves out undefined fields so the defaults spread underneath them stay in force. */
function dropUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
