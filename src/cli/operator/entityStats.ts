import type {
  QueueRuntimeProperties as QueueRuntime,
  ServiceBusAdministrationClient,
  SubscriptionRuntimeProperties as SubscriptionRuntime,
  TopicRuntimeProperties as TopicRuntime,
} from '@azure/service-bus';

import type { EntityAddress } from './entityAddress';

/** Message counts of one entity, as the administration client reports them. */
export interface EntityStats {
  entity: string;
  kind: 'queue' | 'topic' | 'subscription';
  active?: number;
  deadLettered?: number;
  scheduled?: number;
  transfer?: number;
  transferDeadLettered?: number;
  total?: number;
}

/**
 * Counts for one entity (a topic brings its subscriptions along), or for every queue, topic
 * and subscription when `address` is undefined.
 */
export async function collectStats(
  admin: ServiceBusAdministrationClient,
  address: EntityAddress | undefined,
): Promise<EntityStats[]> {
  if (address === undefined) {
    const stats: EntityStats[] = [];
    for await (const queue of admin.listQueuesRuntimeProperties()) stats.push(queueStats(queue));
    for await (const topic of admin.listTopicsRuntimeProperties()) {
      stats.push(...(await topicWithSubscriptions(admin, topic)));
    }
    return stats;
  }

  if (address.kind === 'subscription') {
    const subscription = await admin.getSubscriptionRuntimeProperties(
      address.topic,
      address.subscription,
    );
    return [subscriptionStats(subscription)];
  }
  if (await admin.queueExists(address.name)) {
    return [queueStats(await admin.getQueueRuntimeProperties(address.name))];
  }
  return topicWithSubscriptions(admin, await admin.getTopicRuntimeProperties(address.name));
}

function queueStats(queue: QueueRuntime): EntityStats {
  return {
    entity: queue.name,
    kind: 'queue',
    active: queue.activeMessageCount,
    deadLettered: queue.deadLetterMessageCount,
    scheduled: queue.scheduledMessageCount,
    transfer: queue.transferMessageCount,
    transferDeadLettered: queue.transferDeadLetterMessageCount,
    total: queue.totalMessageCount,
  };
}

function subscriptionStats(subscription: SubscriptionRuntime): EntityStats {
  return {
    entity: `${subscription.topicName}/subscriptions/${subscription.subscriptionName}`,
    kind: 'subscription',
    active: subscription.activeMessageCount,
    deadLettered: subscription.deadLetterMessageCount,
    transfer: subscription.transferMessageCount,
    transferDeadLettered: subscription.transferDeadLetterMessageCount,
    total: subscription.totalMessageCount,
  };
}

async function topicWithSubscriptions(
  admin: ServiceBusAdministrationClient,
  topic: TopicRuntime,
): Promise<EntityStats[]> {
  // A topic holds only scheduled messages; the rest live in its subscriptions.
  const stats: EntityStats[] = [
    { entity: topic.name, kind: 'topic', scheduled: topic.scheduledMessageCount },
  ];
  for await (const subscription of admin.listSubscriptionsRuntimeProperties(topic.name)) {
    stats.push(subscriptionStats(subscription));
  }
  return stats;
}
