import { MINUTE_MS, SECOND_MS } from '../../shared/time';
import type {
  NamespaceConfig,
  QueueConfig,
  SharedAccessPolicy,
  SubscriptionConfig,
  TopicConfig,
} from './types';

/** The official emulator's policy and key, so its connection string works unchanged. */
export const DEVELOPMENT_POLICY: SharedAccessPolicy = {
  name: 'RootManageSharedAccessKey',
  key: 'SAS_KEY_VALUE',
  rights: ['Manage', 'Send', 'Listen'],
};

export const DEFAULT_NAMESPACE_NAME = 'sbemulatorns';
export const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 256 * 1024;

// Azure Service Bus's own defaults for a property left out (not the official emulator's).
export const DEFAULT_LOCK_DURATION_MS = MINUTE_MS;
export const DEFAULT_MAX_DELIVERY_COUNT = 10;
/** The rules one subscription may have, whether added over HTTP or AMQP. */
export const MAX_RULES_PER_SUBSCRIPTION = 2_000;
export const DEFAULT_DUPLICATE_DETECTION_WINDOW_MS = 10 * MINUTE_MS;
export const MIN_LOCK_DURATION_MS = 5 * SECOND_MS;
export const MAX_LOCK_DURATION_MS = 5 * MINUTE_MS;
/** Azure's default MaxSizeInMegabytes for a queue or topic (1 GB). */
export const DEFAULT_MAX_SIZE_IN_MEGABYTES = 1024;

export function queueWithDefaults(name: string, overrides: Partial<QueueConfig> = {}): QueueConfig {
  return {
    name,
    lockDurationMs: DEFAULT_LOCK_DURATION_MS,
    maxDeliveryCount: DEFAULT_MAX_DELIVERY_COUNT,
    defaultMessageTimeToLiveMs: null,
    requiresSession: false,
    requiresDuplicateDetection: false,
    duplicateDetectionHistoryTimeWindowMs: DEFAULT_DUPLICATE_DETECTION_WINDOW_MS,
    deadLetteringOnMessageExpiration: false,
    forwardTo: null,
    forwardDeadLetteredMessagesTo: null,
    maxSizeInMegabytes: DEFAULT_MAX_SIZE_IN_MEGABYTES,
    ...overrides,
  };
}

export function subscriptionWithDefaults(
  name: string,
  overrides: Partial<SubscriptionConfig> = {},
): SubscriptionConfig {
  return {
    name,
    lockDurationMs: DEFAULT_LOCK_DURATION_MS,
    maxDeliveryCount: DEFAULT_MAX_DELIVERY_COUNT,
    defaultMessageTimeToLiveMs: null,
    requiresSession: false,
    deadLetteringOnMessageExpiration: false,
    deadLetteringOnFilterEvaluationExceptions: true,
    forwardTo: null,
    forwardDeadLetteredMessagesTo: null,
    rules: [],
    ...overrides,
  };
}

export function topicWithDefaults(name: string, overrides: Partial<TopicConfig> = {}): TopicConfig {
  return {
    name,
    defaultMessageTimeToLiveMs: null,
    requiresDuplicateDetection: false,
    duplicateDetectionHistoryTimeWindowMs: DEFAULT_DUPLICATE_DETECTION_WINDOW_MS,
    maxSizeInMegabytes: DEFAULT_MAX_SIZE_IN_MEGABYTES,
    subscriptions: [],
    ...overrides,
  };
}

export function namespaceWithDefaults(overrides: Partial<NamespaceConfig> = {}): NamespaceConfig {
  return {
    name: DEFAULT_NAMESPACE_NAME,
    queues: [],
    topics: [],
    policies: [DEVELOPMENT_POLICY],
    maxMessageSizeBytes: DEFAULT_MAX_MESSAGE_SIZE_BYTES,
    namespaceQuotaBytes: null,
    ...overrides,
  };
}
