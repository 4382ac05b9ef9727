import { COUNT_DETAILS_NS, isoTime, type XmlObject } from './atom';
import type {
  EntityTimes,
  MessageCounts,
  NamespaceView,
  QueueView,
  SubscriptionView,
  TopicView,
} from './backend';
import { formatDuration } from './timeSpan';

/**
 * Entity views → the description elements the administration client reads
 * (`QueueDescription`, `TopicDescription`, `SubscriptionDescription`, `NamespaceInfo`).
 * Elements follow the service's order; every one the client requires is always written.
 */
export function queueDescription(view: QueueView, forwardBase: string): XmlObject {
  const { config, extras, counts } = view;
  return omitUnset({
    LockDuration: formatDuration(config.lockDurationMs),
    MaxSizeInMegabytes: config.maxSizeInMegabytes,
    RequiresDuplicateDetection: config.requiresDuplicateDetection,
    RequiresSession: config.requiresSession,
    DefaultMessageTimeToLive: formatDuration(config.defaultMessageTimeToLiveMs),
    DeadLetteringOnMessageExpiration: config.deadLetteringOnMessageExpiration,
    DuplicateDetectionHistoryTimeWindow: duplicateWindow(config),
    MaxDeliveryCount: config.maxDeliveryCount,
    EnableBatchedOperations: extras.enableBatchedOperations,
    SizeInBytes: counts.sizeBytes,
    MessageCount: counts.total,
    IsAnonymousAccessible: false,
    AuthorizationRules: '',
    Status: extras.status,
    ForwardTo: forwardUrl(forwardBase, config.forwardTo),
    ...timeElements(view.times),
    SupportOrdering: extras.supportOrdering,
    CountDetails: countDetails(counts),
    AutoDeleteOnIdle: formatDuration(extras.autoDeleteOnIdleMs),
    EnablePartitioning: false,
    EntityAvailabilityStatus: 'Available',
    ForwardDeadLetteredMessagesTo: forwardUrl(forwardBase, config.forwardDeadLetteredMessagesTo),
    EnableExpress: false,
    UserMetadata: extras.userMetadata || undefined,
  });
}

export function topicDescription(view: TopicView, maxMessageSizeBytes: number): XmlObject {
  const { config, extras, counts } = view;
  return omitUnset({
    DefaultMessageTimeToLive: formatDuration(config.defaultMessageTimeToLiveMs),
    MaxSizeInMegabytes: config.maxSizeInMegabytes,
    RequiresDuplicateDetection: config.requiresDuplicateDetection,
    DuplicateDetectionHistoryTimeWindow: duplicateWindow(config),
    EnableBatchedOperations: extras.enableBatchedOperations,
    SizeInBytes: counts.sizeBytes,
    FilteringMessagesBeforePublishing: false,
    IsAnonymousAccessible: false,
    AuthorizationRules: '',
    Status: extras.status,
    ...timeElements(view.times),
    SupportOrdering: extras.supportOrdering,
    CountDetails: countDetails(counts),
    AutoDeleteOnIdle: formatDuration(extras.autoDeleteOnIdleMs),
    EnablePartitioning: false,
    EntityAvailabilityStatus: 'Available',
    EnableSubscriptionPartitioning: false,
    EnableExpress: false,
    MaxMessageSizeInKilobytes: Math.floor(maxMessageSizeBytes / 1024),
    SubscriptionCount: view.subscriptionCount,
    UserMetadata: extras.userMetadata || undefined,
  });
}

export function subscriptionDescription(view: SubscriptionView, forwardBase: string): XmlObject {
  const { config, extras, counts } = view;
  return omitUnset({
    LockDuration: formatDuration(config.lockDurationMs),
    RequiresSession: config.requiresSession,
    DefaultMessageTimeToLive: formatDuration(config.defaultMessageTimeToLiveMs),
    DeadLetteringOnMessageExpiration: config.deadLetteringOnMessageExpiration,
    DeadLetteringOnFilterEvaluationExceptions: config.deadLetteringOnFilterEvaluationExceptions,
    MessageCount: counts.total,
    MaxDeliveryCount: config.maxDeliveryCount,
    EnableBatchedOperations: extras.enableBatchedOperations,
    Status: extras.status,
    ForwardTo: forwardUrl(forwardBase, config.forwardTo),
    ...timeElements(view.times),
    CountDetails: countDetails(counts),
    UserMetadata: extras.userMetadata || undefined,
    ForwardDeadLetteredMessagesTo: forwardUrl(forwardBase, config.forwardDeadLetteredMessagesTo),
    AutoDeleteOnIdle: formatDuration(extras.autoDeleteOnIdleMs),
    EntityAvailabilityStatus: 'Available',
  });
}

export function namespaceInfo(view: NamespaceView): XmlObject {
  return {
    CreatedTime: isoTime(view.createdAtMs),
    MessagingSKU: 'Standard',
    ModifiedTime: isoTime(view.modifiedAtMs),
    Name: view.name,
    NamespaceType: 'Messaging',
  };
}

function duplicateWindow(config: { duplicateDetectionHistoryTimeWindowMs: number }): string {
  return formatDuration(config.duplicateDetectionHistoryTimeWindowMs);
}

/** Service Bus reports forwarding targets as absolute `sb://` addresses. */
function forwardUrl(base: string, name: string | null): string | undefined {
  return name ? `${base}/${name}` : undefined;
}

function timeElements(times: EntityTimes): XmlObject {
  return {
    CreatedAt: isoTime(times.createdAtMs),
    UpdatedAt: isoTime(times.updatedAtMs),
    AccessedAt: isoTime(times.accessedAtMs),
  };
}

// The client finds these by the one `xmlns:<prefix>` attribute on CountDetails.
function countDetails(counts: MessageCounts): XmlObject {
  return {
    $: { 'xmlns:d2p1': COUNT_DETAILS_NS },
    'd2p1:ActiveMessageCount': counts.active,
    'd2p1:DeadLetterMessageCount': counts.deadLetter,
    'd2p1:ScheduledMessageCount': counts.scheduled,
    'd2p1:TransferMessageCount': counts.transfer,
    'd2p1:TransferDeadLetterMessageCount': counts.transferDeadLetter,
  };
}

function omitUnset(fields: Record<string, unknown>): XmlObject {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
