import { Condition } from '../amqp/wire';
import { decodeError, framing, type FrameViolation, type SessionRefusal } from './frameViolation';
import { Performative, type ReadPerformative } from './performatives';

/**
 * The highest handle a client may attach a link with on one session, as the emulator's begin
 * declares it (AMQP 1.0, 2.7.2). The SDKs put one or two links on each session.
 */
export const HANDLE_MAX = 255;

/** A frame of a session ended for a violation, before the client's own end: not for rhea. */
export const DROP = 'drop';

export type HandleCheck = FrameViolation | SessionRefusal | typeof DROP | undefined;

/**
 * One session's links as the client numbers them: handle to link key, and the keys. A key is
 * the name and the direction (AMQP 1.0, 2.6.1: a sender and a receiver may share a name).
 */
interface Links {
  names: Map<number, string>;
  attachedNames: Set<string>;
}

/**
 * The handle rules of a connection's sessions, keyed by the channel the client sends each
 * session's frames on. rhea keeps none of them: it overwrites the link of a handle attached
 * twice, tears the whole connection down on a link name attached twice or a frame naming a
 * handle it does not know, and never compares a handle with the handle-max it declared.
 */
export class HandleGuard {
  private readonly sessions = new Map<number, Links>();
  /** Sessions ended for a violation whose end from the client has not come yet. */
  private readonly discarding = new Set<number>();

  performative(channel: number, performative: ReadPerformative): HandleCheck {
    if (this.discarding.has(channel)) {
      if (performative.code !== Performative.end) return DROP;
      this.discarding.delete(channel);
      return undefined;
    }

    const fields = performative.fields;
    const links = this.sessions.get(channel);
    switch (performative.code) {
      case Performative.begin:
        // rhea would begin a second session on it, and no later frame could say which it is for.
        if (links) {
          return {
            reason: `a begin on channel ${channel}, which a session already uses`,
            condition: Condition.notAllowed,
          };
        }
        this.sessions.set(channel, { names: new Map(), attachedNames: new Set() });
        return undefined;
      case Performative.end:
        this.sessions.delete(channel);
        return undefined;
      case Performative.attach:
        return this.attach(channel, links, fields[1], linkKey(performative.linkName, fields[2]));
      case Performative.detach:
        if (typeof fields[0] !== 'number') return decodeError('a detach without a handle');
        return this.detach(channel, links, fields[0]);
      case Performative.flow:
        return this.inUse(channel, links, fields[4]);
      case Performative.transfer:
        return this.inUse(channel, links, fields[0]);
      default:
        return undefined;
    }
  }

  private attach(
    channel: number,
    links: Links | undefined,
    handle: ReadPerformative['fields'][number],
    name: string | undefined,
  ): HandleCheck {
    if (typeof handle !== 'number') return decodeError('an attach without a handle');
    if (name === undefined) return decodeError('an attach without a link name');
    // AMQP 1.0, 2.7.2: a handle outside the range the partner declared is a framing error.
    if (handle > HANDLE_MAX) return framing('an attach with a handle above the handle-max');
    // A channel without a begin is rhea's to refuse.
    if (links === undefined) return undefined;

    if (links.names.has(handle)) {
      return this.refuse(channel, Condition.handleInUse, 'an attach on a handle in use');
    }
    if (links.attachedNames.has(name)) {
      return this.refuse(channel, Condition.notAllowed, 'an attach with a link name in use');
    }
    links.names.set(handle, name);
    links.attachedNames.add(name);
    return undefined;
  }

  private detach(channel: number, links: Links | undefined, handle: number): HandleCheck {
    const refused = this.inUse(channel, links, handle);
    if (refused !== undefined || links === undefined) return refused;
    links.attachedNames.delete(links.names.get(handle)!);
    links.names.delete(handle);
    return undefined;
  }

  /** A frame naming a handle must name one of an attached link (AMQP 1.0, 2.7.4, 2.8.16). */
  private inUse(
    channel: number,
    links: Links | undefined,
    handle: ReadPerformative['fields'][number],
  ): HandleCheck {
    if (links === undefined || typeof handle !== 'number' || links.names.has(handle)) {
      return undefined;
    }
    return this.refuse(channel, Condition.unattachedHandle, 'a frame on a handle not attached');
  }

  /** Drops the session's further frames until the client's end (it was refused elsewhere). */
  discard(channel: number): void {
    this.sessions.delete(channel);
    this.discarding.add(channel);
  }

  private refuse(channel: number, condition: string, reason: string): SessionRefusal {
    this.sessions.delete(channel);
    this.discarding.add(channel);
    return { channel, condition, reason };
  }
}

/** A link's name with its direction (the attach's role: `true` for a receiver). */
function linkKey(
  name: string | undefined,
  role: ReadPerformative['fields'][number],
): string | undefined {
  return name === undefined ? undefined : `${role === true ? 'R' : 'S'}${name}`;
}
