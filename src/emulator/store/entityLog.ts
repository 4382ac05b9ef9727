import { closeSync, fdatasyncSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

import type { QueueConfig, RuleConfig, SubscriptionConfig, TopicConfig } from '../config/types';
import type { EntityStatus } from '../entities/entityTypes';
import { writeWholeSync } from './writeWhole';

const ENTITY_LOG_FILE = 'entities.log';

/**
 * One run-time change of the namespace's entities, as recorded in the data folder. An update,
 * and a rule's update or removal, carries `before`, the settings or rule it replaced, so a
 * replay can tell that the config file was edited since (older logs have none and are
 * replayed as they are).
 */
export type EntityChange =
  | { op: 'createQueue'; config: QueueConfig }
  | { op: 'updateQueue'; config: QueueConfig; before?: QueueConfig }
  | { op: 'deleteQueue' | 'deleteTopic'; name: string }
  | { op: 'createTopic'; config: TopicConfig }
  | {
      op: 'updateTopic';
      config: Omit<TopicConfig, 'subscriptions'>;
      before?: Omit<TopicConfig, 'subscriptions'>;
    }
  | { op: 'createSubscription'; topic: string; config: SubscriptionConfig }
  | {
      op: 'updateSubscription';
      topic: string;
      config: Omit<SubscriptionConfig, 'rules'>;
      before?: Omit<SubscriptionConfig, 'rules'>;
    }
  | { op: 'deleteSubscription'; topic: string; name: string }
  | { op: 'addRule'; topic: string; subscription: string; rule: RuleConfig }
  | {
      op: 'updateRule';
      topic: string;
      subscription: string;
      rule: RuleConfig;
      before?: RuleConfig;
    }
  | { op: 'removeRule'; topic: string; subscription: string; name: string; before?: RuleConfig }
  /** `path` names a queue, a topic or a subscription (`topic/Subscriptions/name`). */
  | { op: 'setStatus'; path: string; status: EntityStatus };

export interface EntityLog {
  /** Written and synced before it returns: changes are rare and must survive a crash. */
  append(change: EntityChange): void;
  close(): void;
}

export const memoryEntityLog: EntityLog = { append: () => undefined, close: () => undefined };

/** Where a data folder keeps its entity log (see entityLogRecovery for reading it back). */
export function entityLogPath(dataDir: string): string {
  return join(dataDir, ENTITY_LOG_FILE);
}

export function openEntityLog(dataDir: string): EntityLog {
  mkdirSync(dataDir, { recursive: true });
  const fd = openSync(entityLogPath(dataDir), 'a');
  let closed = false;
  return {
    append(change) {
      if (closed) return;
      writeWholeSync(fd, Buffer.from(JSON.stringify(change) + '\n'));
      fdatasyncSync(fd);
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
