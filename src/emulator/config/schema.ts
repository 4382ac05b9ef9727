import { z } from 'zod';

import { DAY_MS, SECOND_MS } from '../../shared/time';
import { MAX_LOCK_DURATION_MS, MIN_LOCK_DURATION_MS } from './defaults';
import { describeDuration, parseIsoDuration } from './duration';
import { nameProblem, type NameKind } from './names';
import { MAX_SQL_EXPRESSION_LENGTH } from '../rules/limits';

/**
 * The official emulator's Config.json shape, checked against Azure Service Bus's own limits
 * (not the official emulator's smaller ones), plus the optional `SbworkerEmulator` section.
 * Objects are strict so a misspelt property is refused instead of silently taking a default.
 */

// .NET TimeSpan.MaxValue (about 10675199 days) is how Azure spells "never expires".
const NEVER_EXPIRES_MS = 10_675_199 * DAY_MS;

/** An ISO-8601 duration within [minMs, maxMs], read into milliseconds. */
function duration(minMs: number, maxMs: number) {
  return z.string().transform((text, context) => {
    const durationMs = parseIsoDuration(text);
    if (durationMs === undefined) {
      context.issues.push({
        code: 'custom',
        input: text,
        message: `"${text}" is not an ISO-8601 duration (for example PT1M or P1D)`,
      });
      return z.NEVER;
    }
    if (durationMs < minMs || durationMs > maxMs) {
      const [side, limitMs] =
        durationMs < minMs ? ['below the minimum', minMs] : ['above the maximum', maxMs];
      context.issues.push({
        code: 'custom',
        input: text,
        message: `"${text}" is ${side} of ${describeDuration(limitMs)}`,
      });
      return z.NEVER;
    }
    return durationMs;
  });
}

const timeToLive = duration(SECOND_MS, Number.MAX_SAFE_INTEGER).transform((durationMs) =>
  durationMs >= NEVER_EXPIRES_MS ? null : durationMs,
);
const lockDuration = duration(MIN_LOCK_DURATION_MS, MAX_LOCK_DURATION_MS);
const duplicateWindow = duration(20 * SECOND_MS, 7 * DAY_MS);
const maxDeliveryCount = z.number().int().min(1).max(2000);
// Official configs write "" for "no forwarding".
// Megabytes as the management API takes them; not in the official emulator's format.
const maxSizeInMegabytes = z.number().int().min(1);
const forwardTarget = z.string().transform((name) => (name.trim() === '' ? null : name.trim()));

/** A name checked by Azure's rule for its kind (names.ts, shared with the management API). */
function name(kind: NameKind) {
  return z.string().superRefine((text, context) => {
    const problem = nameProblem(kind, text);
    if (problem !== null) context.addIssue({ code: 'custom', input: text, message: problem });
  });
}

const entityName = name('queue');
const subscriptionName = name('subscription');
const ruleName = name('rule');

const queueProperties = z.strictObject({
  LockDuration: lockDuration.optional(),
  MaxDeliveryCount: maxDeliveryCount.optional(),
  DefaultMessageTimeToLive: timeToLive.optional(),
  RequiresSession: z.boolean().optional(),
  RequiresDuplicateDetection: z.boolean().optional(),
  DuplicateDetectionHistoryTimeWindow: duplicateWindow.optional(),
  DeadLetteringOnMessageExpiration: z.boolean().optional(),
  ForwardTo: forwardTarget.optional(),
  ForwardDeadLetteredMessagesTo: forwardTarget.optional(),
  MaxSizeInMegabytes: maxSizeInMegabytes.optional(),
});

const topicProperties = z.strictObject({
  DefaultMessageTimeToLive: timeToLive.optional(),
  RequiresDuplicateDetection: z.boolean().optional(),
  DuplicateDetectionHistoryTimeWindow: duplicateWindow.optional(),
  MaxSizeInMegabytes: maxSizeInMegabytes.optional(),
});

const subscriptionProperties = z.strictObject({
  LockDuration: lockDuration.optional(),
  MaxDeliveryCount: maxDeliveryCount.optional(),
  DefaultMessageTimeToLive: timeToLive.optional(),
  RequiresSession: z.boolean().optional(),
  DeadLetteringOnMessageExpiration: z.boolean().optional(),
  DeadLetteringOnFilterEvaluationExceptions: z.boolean().optional(),
  ForwardTo: forwardTarget.optional(),
  ForwardDeadLetteredMessagesTo: forwardTarget.optional(),
});

const sqlExpression = z.strictObject({
  SqlExpression: z.string().min(1).max(MAX_SQL_EXPRESSION_LENGTH),
});

const correlationFilter = z
  .strictObject({
    ContentType: z.string().optional(),
    CorrelationId: z.string().optional(),
    Label: z.string().optional(),
    MessageId: z.string().optional(),
    ReplyTo: z.string().optional(),
    ReplyToSessionId: z.string().optional(),
    SessionId: z.string().optional(),
    To: z.string().optional(),
    Properties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .refine(({ Properties, ...fields }) => correlationGivesSomething(fields, Properties), {
    error:
      'needs at least one of ContentType, CorrelationId, Label, MessageId, ReplyTo, ' +
      'ReplyToSessionId, SessionId, To or a property in Properties',
  });

/** `Properties: {}` compares nothing either: such a filter would match every message. */
function correlationGivesSomething(fields: object, properties: object | undefined): boolean {
  const givesField = Object.values(fields).some((value) => value !== undefined);
  return givesField || Object.keys(properties ?? {}).length > 0;
}

const ruleProperties = z
  .strictObject({
    FilterType: z.enum(['Correlation', 'Sql']),
    CorrelationFilter: correlationFilter.optional(),
    SqlFilter: sqlExpression.optional(),
    Action: sqlExpression.optional(),
  })
  .superRefine((rule, context) => {
    const filter = rule.FilterType === 'Sql' ? 'SqlFilter' : 'CorrelationFilter';
    if (rule[filter] === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['FilterType'],
        input: rule.FilterType,
        message: `is "${rule.FilterType}" but ${filter} is missing`,
      });
    }
  });

const rule = z.strictObject({ Name: ruleName, Properties: ruleProperties });

const subscription = z.strictObject({
  Name: subscriptionName,
  Properties: subscriptionProperties.optional(),
  Rules: z.array(rule).optional(),
});

const queue = z.strictObject({ Name: entityName, Properties: queueProperties.optional() });

const topic = z.strictObject({
  Name: entityName,
  Properties: topicProperties.optional(),
  Subscriptions: z.array(subscription).optional(),
});

const namespace = z.strictObject({
  Name: z.string().trim().min(1).optional(),
  Queues: z.array(queue).optional(),
  Topics: z.array(topic).optional(),
});

const policy = z.strictObject({
  Name: name('policy'),
  Key: z.string().min(1).max(256),
  Rights: z.array(z.enum(['Manage', 'Send', 'Listen'])).min(1),
});

const sbworkerSection = z.strictObject({
  SharedAccessPolicies: z.array(policy).optional(),
  // Azure's Premium tier accepts up to 100 MB; Standard's 256 KB is the default.
  MaxMessageSizeInKilobytes: z
    .number()
    .int()
    .min(1)
    .max(100 * 1024)
    .optional(),
  NamespaceQuotaInMegabytes: z.number().int().min(1).optional(),
});

export const configFileSchema = z.strictObject({
  UserConfig: z.strictObject({
    Namespaces: z
      .array(namespace)
      .min(1)
      .refine((namespaces) => namespaces.length <= 1, {
        error: 'holds more than one namespace; the emulator serves exactly one',
      }),
    // The official emulator's logging switch; accepted and ignored (we log through pino).
    Logging: z.unknown().optional(),
  }),
  SbworkerEmulator: sbworkerSection.optional(),
});

export type ConfigFile = z.output<typeof configFileSchema>;
export type QueueSection = z.output<typeof queue>;
export type TopicSection = z.output<typeof topic>;
export type SubscriptionSection = z.output<typeof subscription>;
export type RuleSection = z.output<typeof rule>;
