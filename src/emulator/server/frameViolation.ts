/** Why and how a connection's incoming bytes are refused (frameGuard.ts, deliveryGuard.ts). */
import { Condition } from '../amqp/wire';

/** Why a connection's byte stream was refused, before rhea read (and buffered) any of it. */
export interface FrameViolation {
  reason: string;
  /** The AMQP error condition a `close` would carry. */
  condition: string;
  frameSizeBytes?: number;
  /**
   * The protocol header to send before closing: a client whose header asks for a protocol or
   * version the emulator does not speak gets the one it does (AMQP 1.0, 2.2).
   */
  answerHeader?: Buffer;
}

/**
 * A frame that breaks its session's rules, not the connection's: the session is ended with
 * `condition` and the client's further frames on `channel` are dropped until its own end
 * (AMQP 1.0, 2.5.5: an endpoint that ended a session with an error discards what follows).
 */
export interface SessionRefusal {
  channel: number;
  /**
   * The client's link (its handle) to detach with `condition` before the session ends: the
   * SDKs fail the requests in flight on a link that detaches with an error, not on an end.
   */
  handle?: number;
  reason: string;
  condition: string;
}

export function isSessionRefusal(value: object): value is SessionRefusal {
  return 'channel' in value;
}

export interface FrameLimits {
  maxFrameSizeBytes: number;
  /** The namespace's max message size; a delivery may pass it by `HEADER_ROOM_BYTES`. */
  maxMessageSizeBytes: number;
  /** The most deliveries a session can have unsettled: a longer disposition range is refused. */
  maxDispositionRange: number;
}

export function framing(reason: string): FrameViolation {
  return { reason, condition: Condition.framingError };
}

export function decodeError(reason: string): FrameViolation {
  return { reason, condition: Condition.decodeError };
}
