import { parseIsoDuration } from '../../emulator/config/duration';
import { errorCode } from '../../shared/attemptErrors';
import { ensureError } from '../../shared/errors';
import { SECOND_MS } from '../../shared/time';
import { explainManagementFailure, type ManagementTarget } from './managementErrors';
import { MANAGEMENT_PORT_UNKNOWN, type TargetManagement } from './managementTarget';

// The administration client retries a refused connection for about 5 s; past this the replay
// goes on without the settings rather than wait on a management endpoint that is not there.
const READ_TIMEOUT_MS = 15 * SECOND_MS;

// Service Bus writes "never" as .NET's TimeSpan.MaxValue; no real setting is a century long.
const NEVER_MS = 36_500 * 24 * 60 * 60 * SECOND_MS;

/** What a replay must know of its target, read from the entity's description. */
export interface TargetSettings {
  kind: 'queue' | 'topic';
  /** The duplicate detection window; undefined when the target does not detect duplicates. */
  duplicateDetectionWindowMs?: number;
  /** The entity's default (and so largest) message time to live; undefined for "never". */
  defaultTimeToLiveMs?: number;
}

export type TargetSettingsRead =
  | { settings: TargetSettings; unreadable?: undefined }
  | { settings?: undefined; unreadable: string };

/**
 * Reads the queue's or topic's description through the administration client. This takes the
 * Manage right on Azure and the management API on an emulator, so a failure is no error: it
 * comes back as `unreadable`, the reason in a phrase, and the replay goes on without it.
 */
export async function readTargetSettings(
  management: TargetManagement,
  target: string,
  timeoutMs = READ_TIMEOUT_MS,
): Promise<TargetSettingsRead> {
  const { admin } = management;
  if (admin === undefined) {
    return {
      unreadable: MANAGEMENT_PORT_UNKNOWN,
    };
  }

  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    // The SDK's getQueue fails on a topic's name with a parse error, so ask first, as stats does.
    if (await admin.queueExists(target, { abortSignal })) {
      return { settings: settingsOf('queue', await admin.getQueue(target, { abortSignal })) };
    }
    return { settings: settingsOf('topic', await admin.getTopic(target, { abortSignal })) };
  } catch (error) {
    return { unreadable: reasonOf(error, management, abortSignal, timeoutMs) };
  }
}

function settingsOf(
  kind: 'queue' | 'topic',
  description: {
    requiresDuplicateDetection?: boolean;
    duplicateDetectionHistoryTimeWindow?: string;
    defaultMessageTimeToLive?: string;
  },
): TargetSettings {
  const settings: TargetSettings = { kind };
  if (description.requiresDuplicateDetection === true) {
    // A window that cannot be read is still a window: the replay must not ignore it.
    settings.duplicateDetectionWindowMs =
      durationMs(description.duplicateDetectionHistoryTimeWindow) ?? NEVER_MS;
  }
  const timeToLiveMs = durationMs(description.defaultMessageTimeToLive);
  if (timeToLiveMs !== undefined && timeToLiveMs < NEVER_MS) {
    settings.defaultTimeToLiveMs = timeToLiveMs;
  }
  return settings;
}

function durationMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseIsoDuration(text);
}

function reasonOf(
  error: unknown,
  management: ManagementTarget,
  timeout: AbortSignal,
  timeoutMs: number,
): string {
  if (timeout.aborted) {
    return `the management endpoint did not answer within ${timeoutMs / SECOND_MS} s`;
  }
  const explained = ensureError(explainManagementFailure(error, management));
  const code = errorCode(explained);
  const message = explained.message.replace(/\.$/, '');
  return code === undefined ? message : `${code}: ${message}`;
}
