import type { ServiceBusReceiver } from '@azure/service-bus';
import Long from 'long';

import { errorCode, mostTellingAttempt } from '../../shared/attemptErrors';
import { ensureError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { MINUTE_MS, SECOND_MS, sleep } from '../../shared/time';
import type { ReceiveRefusal, RunningWorker } from '../../worker';
import type { ClientRetrySettings } from '../../worker/clientRetryOptions';
import { classifyReceiveError, OutageTracker } from '../../worker/outage';
import { describeError } from '../describeError';
import { backlogText, describeBacklog, type EntityBacklog } from './backlog';
import { type RefusedEntity, refusalFailure, refusedFields, refusedText } from './refusedEntities';

export const DEFAULT_IDLE_POLL_MS = 100;
/** How long the wait makes no progress before it says what it is waiting for. */
export const DEFAULT_NOTICE_AFTER_MS = 5 * SECOND_MS;
/** How often, at most, it says so again. */
export const DEFAULT_NOTICE_EVERY_MS = MINUTE_MS;
/** Messages peeked per entity to describe what it holds. */
const BACKLOG_PEEK_LIMIT = 100;

/** One entity the app's triggers read from, and a way to see whether it holds messages. */
export interface EntityProbe {
  readonly entity: string;
  /** The function whose trigger reads the entity, to match the worker's refusals to it. */
  readonly functionName?: string;
  /** True when the entity holds no message in any state (active, locked, scheduled, deferred). */
  isEmpty(): Promise<boolean>;
  /** What the entity holds, by state (a larger peek, for the rare notice). */
  backlog(): Promise<EntityBacklog>;
  close(): Promise<void>;
}

/**
 * A probe per trigger entity of the worker (all the app's queues and subscriptions: `orders`,
 * `shipments`, `jobs`, …), peeking through the worker's own clients. Peek sees locked messages
 * too, so a message being processed still counts.
 */
export async function probeTriggerEntities(worker: RunningWorker): Promise<EntityProbe[]> {
  const probes: EntityProbe[] = [];
  for (const fn of worker.functions) {
    const client = await worker.client(fn.connectionName);
    const receiver =
      fn.entity.kind === 'queue'
        ? client.createReceiver(fn.entity.queueName)
        : client.createReceiver(fn.entity.topicName, fn.entity.subscriptionName);
    const entity =
      fn.entity.kind === 'queue'
        ? fn.entity.queueName
        : `${fn.entity.topicName}/subscriptions/${fn.entity.subscriptionName}`;
    probes.push(peekProbe(entity, receiver, fn.name));
  }
  return probes;
}

export function peekProbe(
  entity: string,
  receiver: ServiceBusReceiver,
  functionName?: string,
): EntityProbe {
  return {
    entity,
    functionName,
    // Always from the start: without a sequence number the SDK continues after the last peek.
    isEmpty: async () =>
      (await receiver.peekMessages(1, { fromSequenceNumber: Long.ZERO })).length === 0,
    backlog: async () => {
      const peeked = await receiver.peekMessages(BACKLOG_PEEK_LIMIT, {
        fromSequenceNumber: Long.ZERO,
      });
      return describeBacklog(entity, peeked, BACKLOG_PEEK_LIMIT);
    },
    close: () => receiver.close(),
  };
}

export interface IdleWaitOptions {
  pollMs?: number;
  /** Aborting ends the wait early (a signal); the result is then false. */
  signal?: AbortSignal;
  /**
   * Where to say what the wait is waiting for, once it has made no progress (no invocation
   * started) for `noticeAfterMs`, and again at most every `noticeEveryMs`. With it, an entity
   * that holds messages while Service Bus refuses its function's receiver (the worker's
   * `refusals`) is named at one notice and, if still refused at the next, ends the wait with
   * the refusal's code: nothing else would end it.
   */
  logger?: Logger;
  noticeAfterMs?: number;
  noticeEveryMs?: number;
  /**
   * Rides out a broker that cannot be reached (a restart, a network cut) as the worker does:
   * the outage is logged once on `logger`, the looks are tried again with the `retry` delays
   * (the worker's clientRetryOptions), and the recovery is logged. A refusal (a wrong key, an
   * entity that is gone) still ends the wait with its error. Without it any failed look does.
   */
  outages?: { logger: Logger; retry: ClientRetrySettings };
}

/**
 * Resolves true once the app's entities are all empty and nothing is in flight. A round
 * counts only when no invocation started or was in flight from its first look to its last:
 * then no function could have sent a message during the round, so the empty peeks are one
 * consistent picture, whatever order the entities were peeked in.
 */
export async function waitUntilIdle(
  worker: Pick<RunningWorker, 'activity'>,
  probes: EntityProbe[],
  options: IdleWaitOptions = {},
): Promise<boolean> {
  const pollMs = options.pollMs ?? DEFAULT_IDLE_POLL_MS;
  const notice = options.logger === undefined ? undefined : waitNotice(worker, probes, options);
  const { outages } = options;
  const tracker =
    outages === undefined ? undefined : new OutageTracker(outages.logger, outages.retry);

  try {
    while (options.signal?.aborted !== true) {
      const before = worker.activity();
      // During an outage it looks even while work is in flight: else a long backlog would
      // hold back the recovery line, and its outageMs would count the backlog's time.
      const looking = before.inFlight === 0 || tracker?.inOutage === true;
      const look = looking ? await lookAll(probes, tracker) : { empty: false };
      if (look.empty && before.inFlight === 0) {
        const after = worker.activity();
        const quiet =
          after.inFlight === 0 && after.invocationsStarted === before.invocationsStarted;
        if (quiet) return true;
      }
      // While the broker is away a notice could only say so again: the outage line did.
      if (look.retryInMs === undefined) await notice?.(before.invocationsStarted);
      await sleep(look.retryInMs ?? pollMs, options.signal);
    }
    return false;
  } finally {
    tracker?.stop();
  }
}

/**
 * One look into every entity. A failure that is an outage gives the delay before the next
 * look; any other failure (or any failure without a tracker) is thrown.
 */
async function lookAll(
  probes: EntityProbe[],
  tracker: OutageTracker | undefined,
): Promise<{ empty: boolean; retryInMs?: number }> {
  try {
    const empty = await allEmpty(probes);
    tracker?.recovered();
    return { empty };
  } catch (error) {
    const failure = ensureError(error);
    if (tracker === undefined || classifyReceiveError(failure).kind !== 'outage') throw error;
    return { empty: false, retryInMs: tracker.failed(failure, 'peek') };
  }
}

/**
 * A wait that never ends without a word: a message scheduled for next year keeps
 * `--exit-when-idle` waiting, rightly (it is work still to come), so the operator is told which
 * entity holds what. Progress (an invocation started) resets the clock: a backlog being worked
 * through needs no notice.
 */
function waitNotice(
  worker: Pick<RunningWorker, 'activity'>,
  probes: EntityProbe[],
  options: IdleWaitOptions,
): (invocationsStarted: number) => Promise<void> {
  const afterMs = options.noticeAfterMs ?? DEFAULT_NOTICE_AFTER_MS;
  const everyMs = options.noticeEveryMs ?? DEFAULT_NOTICE_EVERY_MS;
  let started = -1;
  let progressAt = performance.now();
  let noticedAt: number | undefined;
  /** The refusals named at the last notice: one still there at the next ends the wait. */
  let named = new Set<string>();

  return async (invocationsStarted) => {
    const now = performance.now();
    if (invocationsStarted !== started) {
      started = invocationsStarted;
      progressAt = now;
      return;
    }
    if (now - progressAt < afterMs) return;
    if (noticedAt !== undefined && now - noticedAt < everyMs) return;
    noticedAt = now;

    const { inFlight, refusals } = worker.activity();
    const looks = await Promise.all(probes.map(lookInto));
    const backlogs = looks.flatMap((look) => ('backlog' in look ? [look.backlog] : []));
    const holding = backlogs.filter(isHolding);
    const refused = refusedEntities(probes, looks, refusals);
    const lasting = refused.find((entity) => named.has(refusalKey(entity.refusal)));
    if (lasting !== undefined) throw refusalFailure(lasting, now);
    named = new Set(refused.map((entity) => refusalKey(entity.refusal)));

    // A broker error is named: "busy a moment ago" would hide why the wait goes on.
    const failures = looks.flatMap((look) => ('failure' in look ? [look.failure] : []));
    const reasons = holding.map((backlog) => {
      const refusedOne = refused.find((entity) => entity.backlog === backlog);
      if (refusedOne !== undefined) return refusedText(refusedOne, everyMs);
      return backlogText(backlog) ?? backlog.entity;
    });
    if (inFlight > 0) reasons.unshift(`${inFlight} message(s) still being processed`);
    for (const { entity, error } of failures)
      reasons.push(`could not look into ${entity}: ${error}`);
    if (reasons.length === 0) reasons.push('the entities were busy a moment ago; looking again');

    // A refusal will end the run if it lasts: a warning, not progress news.
    const level = refused.length > 0 ? 'warn' : 'info';
    options.logger?.[level](`Not idle yet: ${reasons.join('; ')}`, {
      waitingMs: Math.round(now - progressAt),
      inFlight,
      entities: holding.map(backlogFields),
      ...(refused.length > 0 ? { refused: refused.map((r) => refusedFields(r, now)) } : {}),
      ...(failures.length > 0 ? { lookFailures: failures } : {}),
    });
  };
}

type Look = { backlog: EntityBacklog } | { failure: LookFailure };
interface LookFailure {
  entity: string;
  code: string | undefined;
  error: string;
}

async function lookInto(probe: EntityProbe): Promise<Look> {
  try {
    return { backlog: await probe.backlog() };
  } catch (error) {
    const shown = mostTellingAttempt(error);
    return {
      failure: { entity: probe.entity, code: errorCode(shown), error: describeError(error) },
    };
  }
}

/** The holding entities whose function's receiver Service Bus refuses, with the refusal. */
function refusedEntities(
  probes: EntityProbe[],
  looks: Look[],
  refusals: ReceiveRefusal[],
): RefusedEntity[] {
  return probes.flatMap((probe, index) => {
    const look = looks[index];
    const refusal = refusals.find((r) => r.functionName === probe.functionName);
    if (refusal === undefined || look === undefined || !('backlog' in look)) return [];
    return isHolding(look.backlog) ? [{ backlog: look.backlog, refusal }] : [];
  });
}

/** A refusal streak: each retry's refusal is a new record, with the streak's start. */
function refusalKey(refusal: ReceiveRefusal): string {
  return `${refusal.functionName}@${refusal.sinceMs}`;
}

function isHolding(backlog: EntityBacklog): boolean {
  return backlog.active + backlog.scheduled + backlog.deferred > 0;
}

function backlogFields(backlog: EntityBacklog): Record<string, unknown> {
  return {
    entity: backlog.entity,
    active: backlog.active,
    scheduled: backlog.scheduled,
    deferred: backlog.deferred,
    more: backlog.more,
    firstDueAt: backlog.firstDueAt?.toISOString(),
  };
}

async function allEmpty(probes: EntityProbe[]): Promise<boolean> {
  for (const probe of probes) {
    if (!(await probe.isEmpty())) return false;
  }
  return true;
}
