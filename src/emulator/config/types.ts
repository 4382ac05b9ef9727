/**
 * The emulator's namespace model after loading: durations in milliseconds, defaults applied,
 * names as written (lookups are case-insensitive). `loadConfig` turns the official emulator's
 * Config.json format into this; the broker, the management API and embedded mode consume it.
 */
export interface NamespaceConfig {
  name: string;
  queues: QueueConfig[];
  topics: TopicConfig[];
  /** From the optional `SbworkerEmulator` section; defaults to RootManageSharedAccessKey. */
  policies: SharedAccessPolicy[];
  /** Largest accepted message, in bytes (default 256 KB, as Azure's Standard tier). */
  maxMessageSizeBytes: number;
  /** Total size of stored messages the namespace holds before refusing sends; null = none. */
  namespaceQuotaBytes: number | null;
}

export type AccessRight = 'Manage' | 'Send' | 'Listen';

export interface SharedAccessPolicy {
  name: string;
  key: string;
  rights: AccessRight[];
}

export interface QueueConfig {
  name: string;
  lockDurationMs: number;
  maxDeliveryCount: number;
  /** null: messages never expire (Azure's default). */
  defaultMessageTimeToLiveMs: number | null;
  requiresSession: boolean;
  requiresDuplicateDetection: boolean;
  duplicateDetectionHistoryTimeWindowMs: number;
  deadLetteringOnMessageExpiration: boolean;
  forwardTo: string | null;
  forwardDeadLetteredMessagesTo: string | null;
  /** Sends are refused once the queue holds this much (its dead-letter queue included). */
  maxSizeInMegabytes: number;
}

export interface TopicConfig {
  name: string;
  defaultMessageTimeToLiveMs: number | null;
  /** As a queue's: the topic's scheduled messages plus its subscriptions' copies count. */
  maxSizeInMegabytes: number;
  requiresDuplicateDetection: boolean;
  duplicateDetectionHistoryTimeWindowMs: number;
  subscriptions: SubscriptionConfig[];
}

export interface SubscriptionConfig {
  name: string;
  lockDurationMs: number;
  maxDeliveryCount: number;
  defaultMessageTimeToLiveMs: number | null;
  requiresSession: boolean;
  deadLetteringOnMessageExpiration: boolean;
  /**
   * A message whose rule evaluation fails here is dead-lettered on this subscription (true,
   * Azure's default), or not delivered to it (false).
   */
  deadLetteringOnFilterEvaluationExceptions: boolean;
  forwardTo: string | null;
  forwardDeadLetteredMessagesTo: string | null;
  /** Empty means the default rule `$Default` with a true filter. */
  rules: RuleConfig[];
}

export interface RuleConfig {
  name: string;
  filter: RuleFilter;
  action: SqlRuleAction | null;
}

export type RuleFilter =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'sql'; expression: string }
  | ({ kind: 'correlation' } & CorrelationFilter);

export interface CorrelationFilter {
  correlationId?: string;
  messageId?: string;
  to?: string;
  replyTo?: string;
  /** Subject; `Label` in the official format. */
  subject?: string;
  sessionId?: string;
  replyToSessionId?: string;
  contentType?: string;
  properties: Record<string, string | number | boolean>;
}

export interface SqlRuleAction {
  kind: 'sql';
  expression: string;
}
