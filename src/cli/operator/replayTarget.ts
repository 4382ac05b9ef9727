import { randomUUID } from 'node:crypto';

import type { ServiceBusClient, ServiceBusSender } from '@azure/service-bus';

import { foreignErrorCode } from '../../shared/errorCodes';
import { AppError, ensureError } from '../../shared/errors';
import { SECOND_MS } from '../../shared/time';
import { errorCode, mostTellingAttempt } from '../../shared/attemptErrors';
import { originalEntityName } from './clients';
import { deadLetterPath, parseSendTarget, type EntityAddress } from './entityAddress';
import type { SelectedLetter } from './replayReceive';

// The probe below is one link attach; past this it gives up and the replay goes on as before.
const SESSION_PROBE_TIMEOUT_MS = 5 * SECOND_MS;
// Enough sequence numbers to find the letters, without a screenful.
const MAX_NAMED_LETTERS = 5;

/**
 * Where the copies go: `--to`, else the queue itself, or the topic of a subscription.
 * Subscriptions and dead-letter queues cannot be sent to, so `--to` with either is a usage
 * error.
 */
export function replayTargetName(source: EntityAddress, to: string | undefined): string {
  return to === undefined ? originalEntityName(source) : parseSendTarget(to, '--to');
}

/**
 * Checks the target before any dead letter is locked: each letter received and then given
 * back counts as one more delivery, so a replay that cannot send must fail before receiving.
 * The sender link is attached first (a batch needs it), which fails for a missing entity or a
 * missing Send right. Then, for a queue that requires sessions, letters without a session id
 * are refused, since the broker would refuse their copies.
 * @throws AppError naming the target and, for sessions, the letters.
 */
export async function checkReplayTarget(
  client: ServiceBusClient,
  sender: ServiceBusSender,
  target: string,
  selected: readonly SelectedLetter[],
): Promise<void> {
  try {
    await sender.createMessageBatch();
  } catch (error) {
    // After its retries the SDK rejects with an AggregateError without code or message.
    const attempt = ensureError(mostTellingAttempt(error));
    const reason = (attempt.message === '' ? attempt.name : attempt.message).replace(/\.$/, '');
    throw new AppError(
      foreignErrorCode(errorCode(attempt) ?? 'GeneralError'),
      `cannot send to ${target}: ${reason}; no dead letter was received`,
      { cause: error },
    );
  }

  const withoutSession = selected.filter((letter) => (letter.sessionId ?? '') === '');
  if (withoutSession.length === 0 || !(await requiresSession(client, target))) return;

  throw new AppError(
    'SessionIdRequired',
    `${target} requires sessions, but ${withoutSession.length} selected dead letter(s) have no` +
      ` session id (sequence numbers ${sequenceNumberList(withoutSession)}); no dead letter was` +
      ' received.' +
      ' Leave them out with --message-id or --reason, or peek them with --json, add a' +
      ' sessionId and send them with `sbworker send --file`',
  );
}

/**
 * A subscription that requires sessions dead-letters a topic's message that has no session id
 * ("Session id is null."). Its copy, sent back to the topic, would have none either: that
 * subscription would dead-letter it again and every other subscription would get it twice.
 * @throws AppError `SessionIdRequired` when such letters are selected and the copies go to
 *   that topic (by default, or named with `--to`); nothing was received then.
 */
export function refuseSessionlessCopies(
  source: EntityAddress,
  target: string,
  selected: readonly SelectedLetter[],
): void {
  if (source.kind !== 'subscription') return;
  if (target.toLowerCase() !== source.topic.toLowerCase()) return;
  const sessionless = selected.filter(
    (letter) =>
      (letter.sessionId ?? '') === '' &&
      letter.deadLetterReason?.toLowerCase() === 'session id is null.',
  );
  if (sessionless.length === 0) return;

  throw new AppError(
    'SessionIdRequired',
    `${sessionless.length} selected letter(s) in ${deadLetterPath(source)} were dead-lettered` +
      ` because they have no session id (sequence numbers ${sequenceNumberList(sessionless)});` +
      ` copies sent to ${source.topic} would have none either and would reach every` +
      ' subscription again.' +
      ' Leave them out with --reason, send them to a queue with --to, or peek them with --json,' +
      ' add a sessionId and send them with `sbworker send --file`',
  );
}

/** The first few sequence numbers of the letters, enough to find them without a screenful. */
export function sequenceNumberList(
  letters: ReadonlyArray<string | { sequenceNumber?: string }>,
): string {
  const numbers = letters.map((letter) =>
    typeof letter === 'string' ? letter : String(letter.sequenceNumber),
  );
  const more = numbers.length > MAX_NAMED_LETTERS ? ', …' : '';
  return numbers.slice(0, MAX_NAMED_LETTERS).join(', ') + more;
}

/**
 * Whether the queue requires sessions. Service Bus and the emulator accept a session receiver
 * only on such an entity, and any session id may be asked for, so one that no message uses
 * locks nothing anyone waits for. Any failure (a topic, no Listen right, a timeout) says
 * nothing either way: the replay then goes on, as it would without the probe.
 */
async function requiresSession(client: ServiceBusClient, queue: string): Promise<boolean> {
  try {
    const receiver = await client.acceptSession(queue, `sbworker-probe-${randomUUID()}`, {
      abortSignal: AbortSignal.timeout(SESSION_PROBE_TIMEOUT_MS),
      maxAutoLockRenewalDurationInMs: 0,
    });
    await receiver.close();
    return true;
  } catch {
    return false;
  }
}
