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

/** An update keeps the ids seen so far: a new detector would let a duplicate through. */
export function updatedDetector(
  current: DuplicateDetector | null,
  config: DuplicateSettings,
): DuplicateDetector | null {
  if (!current || !config.requiresDuplicateDetection) return detectorFor(config);
  current.changeWindow(config.duplicateDetectionHistoryTimeWindowMs);
  return current;
}

function minTtl(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
