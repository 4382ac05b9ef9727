import type { ServiceBusReceivedMessage } from '@azure/service-bus';

/** What an entity holds, from one peek: enough to tell an operator why it is not empty. */
export interface EntityBacklog {
  entity: string;
  active: number;
  scheduled: number;
  deferred: number;
  /** The peek hit its limit: there may be more. */
  more: boolean;
  /** The earliest enqueue time among the scheduled messages seen. */
  firstDueAt: Date | undefined;
}

export function describeBacklog(
  entity: string,
  peeked: readonly ServiceBusReceivedMessage[],
  limit: number,
): EntityBacklog {
  const backlog: EntityBacklog = {
    entity,
    active: 0,
    scheduled: 0,
    deferred: 0,
    more: peeked.length >= limit,
    firstDueAt: undefined,
  };
  for (const message of peeked) {
    if (message.state === 'scheduled') {
      backlog.scheduled++;
      const due = message.scheduledEnqueueTimeUtc;
      if (due !== undefined && (backlog.firstDueAt === undefined || due < backlog.firstDueAt)) {
        backlog.firstDueAt = due;
      }
    } else if (message.state === 'deferred') {
      backlog.deferred++;
    } else {
      backlog.active++;
    }
  }
  return backlog;
}

/** "jobs holds 1 scheduled message (due 2030-01-01T00:00:00Z)", or undefined when empty. */
export function backlogText(backlog: EntityBacklog): string | undefined {
  const plus = backlog.more ? '+' : '';
  const count = (n: number, what: string): string =>
    `${n}${plus} ${what} message${n === 1 && plus === '' ? '' : 's'}`;

  const parts: string[] = [];
  if (backlog.active > 0) parts.push(`${count(backlog.active, 'active')} (ready or locked)`);
  if (backlog.scheduled > 0) {
    const first = backlog.scheduled > 1 ? 'the first ' : '';
    const due = backlog.firstDueAt;
    const when = due === undefined ? '' : ` (${first}due ${isoSeconds(due)})`;
    parts.push(`${count(backlog.scheduled, 'scheduled')}${when}`);
  }
  if (backlog.deferred > 0) {
    parts.push(`${count(backlog.deferred, 'deferred')} (received only by sequence number)`);
  }
  return parts.length === 0 ? undefined : `${backlog.entity} holds ${parts.join(', ')}`;
}

/** `2030-01-01T00:00:00Z`: milliseconds only when there are some. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}
