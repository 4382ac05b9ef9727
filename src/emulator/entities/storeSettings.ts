import type { QueueConfig, SubscriptionConfig, TopicConfig } from '../config/types';
import type { StoreSettings } from '../store/types';
import { DuplicateDetector } from './duplicates';

/** Entity configs → the settings of their message stores and duplicate detectors. */

type StoreConfig = Pick<
  QueueConfig,
  | 'name'
  | 'lockDurationMs'
  | 'maxDeliveryCount'
  | 'defaultMessageTimeToLiveMs'
  | 'requiresSession'
  | 'deadLetteringOnMessageExpiration'
>;

export function queueSettings(config: StoreConfig): StoreSettings {
  return {
    path: config.name,
    lockDurationMs: config.lockDurationMs,
    maxDeliveryCount: config.maxDeliveryCount,
    defaultTimeToLiveMs: config.defaultMessageTimeToLiveMs,
    requiresSession: config.requiresSession,
    deadLetterOnExpiration: config.deadLetteringOnMessageExpiration,
  };
}

export function topicSettings(name: string): StoreSettings {
  return {
    path: name,
    lockDurationMs: 0,
    maxDeliveryCount: null,
    defaultTimeToLiveMs: null,
    requiresSession: false,
    deadLetterOnExpiration: false,
  };
}

export function subscriptionTtl(
  sub: SubscriptionConfig,
  topic: Pick<TopicConfig, 'defaultMessageTimeToLiveMs'>,
): number | null {
  return minTtl(sub.defaultMessageTimeToLiveMs, topic.defaultMessageTimeToLiveMs);
}

type DuplicateSettings = Pick<
  QueueConfig,
  'requiresDuplicateDetection' | 'duplicateDetectionHistoryTimeWindowMs'
>;

export function detectorFor(config: DuplicateSettings): DuplicateDetector | null {
  return config.requiresDuplicateDetection
    ? new DuplicateDetector(config.duplicateDetectionHistoryTimeWindowMs)
    : null;
}

export function sameDuplicateSettings(a: DuplicateSettings, b: DuplicateSettings): boolean {
  return (
    a.requiresDuplicateDetection === b.requiresDuplicateDetection &&
    a.duplicateDetectionHistoryTimeWindowMs === b.duplicateDetectionHistoryTimeWindowMs
  );
}

function minTtl(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
