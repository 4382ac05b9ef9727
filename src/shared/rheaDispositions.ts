/**
 * rhea 3.0.5 (the AMQP library under @azure/service-bus and our emulator) sends the settlements
 * made in one turn of its event loop as disposition frames that cover ranges of delivery ids.
 * Its range builder compares outcomes only once a range holds two deliveries, so the second of
 * two neighbouring deliveries always takes the first one's outcome: a complete next to an
 * abandon completes both (the abandoned message is lost) or abandons both (the completed one
 * runs again), and a broker's accept next to a refusal tells the client both were accepted.
 *
 * So the settlements are taken off rhea's queues as they are made and written here, in the
 * order they were made, when rhea would have written them. A range grows only by the next
 * delivery id with the same settled flag and an outcome that may share a frame: both accepted,
 * or both without an outcome (what rhea means to share).
 *
 * Installed once per process by every part that opens AMQP connections, in every rhea copy
 * the process may load (the SDK's and ours, see rheaCopies.ts); idempotent. No upstream rhea
 * issue about this was found (searched amqp/rhea's issues for disposition ranges and
 * outcomes); the fix stays until a rhea release compares each delivery's outcome.
 */

import { dirname, join } from 'node:path';

import { requireRheaFile, rheaCopyFiles } from './rheaCopies';

interface Delivery {
  id: number;
  settled: boolean;
  state?: { descriptor?: { value?: unknown } };
  link: { is_receiver(): boolean; session: { output(frame: unknown): void } };
}

/** One half of a rhea session (incoming or outgoing), as far as settlements go. */
interface SessionHalf {
  update(delivery: Delivery | undefined, settled: boolean, state?: unknown): void;
  process(session?: unknown): void;
}

/** A rhea session's two halves, as found (their shape is checked before use). */
interface SessionHalves {
  incoming: Record<string, unknown>;
  outgoing: Record<string, unknown>;
}

type SessionConstructor = new (connection: object, channel: number) => SessionHalves;

type DispositionFrame = (fields: Record<string, unknown>) => unknown;

/** The AMQP descriptor code of the accepted outcome. */
const ACCEPTED_CODE = 0x24;
const INSTALLED = Symbol.for('sbworker.rheaDispositionRangesFixed');
const TAKEN = Symbol('sbworker.settlementsToWrite');

export function fixRheaDispositionRanges(): void {
  for (const sessionFile of rheaCopyFiles('lib/session.js')) {
    fixCopy(sessionFile, join(dirname(sessionFile), 'frames.js'));
  }
}

function fixCopy(sessionFile: string, framesFile: string): void {
  const Session = requireRheaFile<SessionConstructor & Record<symbol, unknown>>(sessionFile);
  if (Session[INSTALLED] === true) return;
  const frames = requireRheaFile<{ disposition: DispositionFrame }>(framesFile);

  // rhea does not export the two halves of a session; a session never opened gives them.
  const probe = new Session({}, 0);
  checkRheaSessionShape(probe, sessionFile);
  takeSettlements(Object.getPrototypeOf(probe.incoming) as SessionHalf, 'updated', 'before');
  takeSettlements(
    Object.getPrototypeOf(probe.outgoing) as SessionHalf,
    'pending_dispositions',
    'after',
  );

  function takeSettlements(half: SessionHalf, queueName: string, when: 'before' | 'after'): void {
    type Queues = Record<string, unknown> & { [TAKEN]?: Delivery[] };
    const update = half.update;
    half.update = function (this: Queues, delivery, settled, state) {
      update.call(this, delivery, settled, state);

      // rhea queued it (a delivery the peer has settled already needs no frame): move it.
      const queue = this[queueName] as Delivery[];
      if (delivery !== undefined && queue[queue.length - 1] === delivery) {
        queue.pop();
        (this[TAKEN] ??= []).push(delivery);
      }
    };

    // Written where rhea writes its queue: first thing in the incoming half's turn, last
    // thing in the outgoing half's (after the events that may settle more).
    const process = half.process;
    half.process = function (this: Queues, session) {
      if (when === 'after') process.call(this, session);
      const taken = this[TAKEN];
      if (taken !== undefined && taken.length > 0) {
        this[TAKEN] = [];
        writeDispositions(taken, frames.disposition);
      }
      if (when === 'before') process.call(this, session);
    };
  }

  Session[INSTALLED] = true;
}

/**
 * The fix relies on rhea 3.0's insides; another rhea would make every settlement throw or be
 * lost, so it is refused at start-up instead.
 */
export function checkRheaSessionShape(session: SessionHalves, sessionFile = 'rhea'): void {
  const queues: Array<[Record<string, unknown>, string]> = [
    [session.incoming, 'updated'],
    [session.outgoing, 'pending_dispositions'],
  ];
  for (const [half, queueName] of queues) {
    const ok =
      Array.isArray(half[queueName]) &&
      typeof half.update === 'function' &&
      typeof half.process === 'function';
    if (!ok) {
      throw new Error(
        `rhea's session is not as this release knows it (no ${queueName} queue) in ` +
          `${sessionFile}: the fix of its settlement frames cannot be installed; use the rhea ` +
          'version in package-lock.json for every copy (package.json overrides pins it)',
      );
    }
  }
}

/** One frame per range of neighbouring deliveries that may share an outcome, in order. */
export function writeDispositions(deliveries: readonly Delivery[], frame: DispositionFrame): void {
  let first: Delivery | undefined;
  let last: Delivery | undefined;
  const flush = (): void => {
    if (first === undefined || last === undefined) return;
    const fields = { role: first.link.is_receiver(), first: first.id, last: last.id };
    first.link.session.output(frame({ ...fields, state: first.state, settled: first.settled }));
  };

  for (const delivery of deliveries) {
    if (last !== undefined && last === delivery) continue;
    if (last !== undefined && mayExtend(last, delivery)) {
      last = delivery;
      continue;
    }
    flush();
    first = delivery;
    last = delivery;
  }
  flush();
}

function mayExtend(last: Delivery, delivery: Delivery): boolean {
  if (delivery.id !== last.id + 1 || delivery.settled !== last.settled) return false;
  if (last.state === undefined && delivery.state === undefined) return true;
  return isAccepted(last) && isAccepted(delivery);
}

function isAccepted(delivery: Delivery): boolean {
  return delivery.state?.descriptor?.value === ACCEPTED_CODE;
}
