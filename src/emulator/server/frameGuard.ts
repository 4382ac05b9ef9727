import { OFFERED_SASL_MECHANISMS } from '../auth/saslLogin';
import { checkValues } from './amqpWalk';
import { DeliveryGuard } from './deliveryGuard';
import {
  decodeError,
  framing,
  isSessionRefusal,
  type FrameLimits,
  type FrameViolation,
  type SessionRefusal,
} from './frameViolation';
import { DROP, HandleGuard } from './handleGuard';
import { Performative, readPerformative } from './performatives';

/** Bytes for rhea, or a session to end before rhea reads on. */
export type Unit = Buffer | SessionRefusal;

/** What rhea may read of a chunk, in order. */
export interface Inspection {
  /** Whole frames and protocol headers to hand over now, and the sessions refused between. */
  now: Unit[];
  /**
   * A pipelined AMQP header and what follows it: rhea must have finished its SASL exchange
   * first (it decides the outcome a promise turn later), or it reads that header as the size
   * of a 1 GB SASL frame and buffers towards it.
   */
  afterSasl: Unit[];
  violation?: FrameViolation;
}

const HEADER_BYTES = 8;
const TAG = 0x414d5150; // "AMQP"
const AMQP_HEADER = Buffer.from('AMQP\x00\x01\x00\x00', 'latin1');
const SASL_HEADER = Buffer.from('AMQP\x03\x01\x00\x00', 'latin1');

type Phase = 'header' | 'sasl' | 'amqp';

const OFFERED = new Set(OFFERED_SASL_MECHANISMS);

/** What a checked unit asks of the stream: the SASL layer ended, go on after rhea's turn. */
const SASL_DONE = 'sasl done';

type Step = FrameViolation | SessionRefusal | typeof SASL_DONE | typeof DROP | undefined;

/**
 * Follows one connection's incoming bytes in front of rhea and hands it only whole frames it
 * has checked. rhea trusts sizes and counts: a frame's 4-byte size (it buffers up to 4 GB), the
 * element counts of arrays and lists, a disposition's id range (it loops over every id), a
 * delivery's `more` flag (it buffers frames without end). Each is bounded here first.
 */
export class FrameGuard {
  private phase: Phase = 'header';
  private saslFrames = 0;
  /** The start of a unit whose bytes have not all arrived (copied: at most one frame). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingSize = 0;
  private readonly deliveries: DeliveryGuard;
  private readonly handles = new HandleGuard();
  /** A SASL mechanism the client chose that the emulator does not offer, until read. */
  refusedMechanism: string | undefined;

  constructor(private readonly limits: FrameLimits) {
    this.deliveries = new DeliveryGuard(limits);
  }

  /** Consumes a chunk: the whole units before the first violation, and that violation. */
  inspect(chunk: Buffer): Inspection {
    const result: Inspection = { now: [], afterSasl: [] };
    let out = result.now;
    const emit = (bytes: Buffer): void => {
      if (bytes.length > 0) out.push(bytes);
    };
    // A refused session's frames stay from rhea; its refusal takes their place, in order.
    const withhold = (step: SessionRefusal | typeof DROP): void => {
      if (step !== DROP) out.push(step);
    };
    this.deliveries.clearAborted();
    let at = 0;

    if (this.pendingBytes > 0) {
      const held = this.hold(chunk, 0);
      if (typeof held !== 'number') return { ...result, violation: held };
      at = held;
      if (this.pendingBytes < HEADER_BYTES || this.pendingBytes < this.pendingSize) return result;
      const unit = Buffer.concat(this.pending, this.pendingSize);
      this.pending = [];
      this.pendingBytes = 0;
      const step = this.unit(unit);
      if (isWithheld(step)) withhold(step);
      else if (typeof step === 'object') return { ...result, violation: step };
      else {
        if (step === SASL_DONE) out = result.afterSasl;
        emit(unit);
      }
    }

    // Whole units inside the chunk go out as one slice of it, without a copy.
    let runStart = at;
    while (chunk.length - at >= HEADER_BYTES) {
      const size = this.unitSize(chunk, at);
      if (typeof size === 'object') {
        emit(chunk.subarray(runStart, at));
        return { ...result, violation: size };
      }
      if (at + size > chunk.length) break;
      const step = this.unit(chunk.subarray(at, at + size));
      if (isWithheld(step)) {
        emit(chunk.subarray(runStart, at));
        withhold(step);
        at += size;
        runStart = at;
        continue;
      }
      if (typeof step === 'object') {
        emit(chunk.subarray(runStart, at));
        return { ...result, violation: step };
      }
      if (step === SASL_DONE) {
        emit(chunk.subarray(runStart, at));
        out = result.afterSasl;
        runStart = at;
      }
      at += size;
    }
    emit(chunk.subarray(runStart, at));

    if (at < chunk.length) {
      const held = this.hold(chunk, at);
      if (typeof held !== 'number') return { ...result, violation: held };
    }
    return result;
  }

  /** Whether a delivery completed by the last inspected chunk was aborted by its sender. */
  wasAborted(channel: number, deliveryId: number): boolean {
    return this.deliveries.wasAborted(channel, deliveryId);
  }

  /** Copies the chunk's bytes from `at` that belong to the held unit; returns where it ended. */
  private hold(chunk: Buffer, at: number): number | FrameViolation {
    if (this.pendingBytes < HEADER_BYTES) {
      const part = chunk.subarray(at, at + HEADER_BYTES - this.pendingBytes);
      this.pending.push(Buffer.from(part));
      this.pendingBytes += part.length;
      at += part.length;
      if (this.pendingBytes < HEADER_BYTES) return at;
      const head = Buffer.concat(this.pending);
      this.pending = [head];
      const size = this.unitSize(head, 0);
      if (typeof size === 'object') return size;
      this.pendingSize = size;
    }
    const part = chunk.subarray(at, at + this.pendingSize - this.pendingBytes);
    if (part.length > 0) this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
    return at + part.length;
  }

  /** Size of the unit (protocol header or frame) whose first 8 bytes are at `at`. */
  private unitSize(buffer: Buffer, at: number): number | FrameViolation {
    // A protocol header is allowed at the start and once after the SASL exchange, nowhere else.
    const headerAllowed = this.phase === 'header' || (this.phase === 'sasl' && this.saslFrames > 0);
    if (headerAllowed && buffer.readUInt32BE(at) === TAG) return HEADER_BYTES;
    if (this.phase === 'header') {
      return { ...framing('no protocol header at the start'), answerHeader: SASL_HEADER };
    }

    const frameSizeBytes = buffer.readUInt32BE(at);
    if (frameSizeBytes > this.limits.maxFrameSizeBytes) {
      return { ...framing('frame too large'), frameSizeBytes };
    }
    if (frameSizeBytes < HEADER_BYTES) return { ...framing('frame too small'), frameSizeBytes };
    return frameSizeBytes;
  }

  private unit(bytes: Buffer): Step {
    if (bytes.length === HEADER_BYTES && bytes.readUInt32BE(0) === TAG && this.phase !== 'amqp') {
      return this.protocolHeader(bytes);
    }
    return this.frame(bytes);
  }

  private protocolHeader(bytes: Buffer): FrameViolation | typeof SASL_DONE | undefined {
    if (this.phase === 'header' && bytes.equals(SASL_HEADER)) {
      this.phase = 'sasl';
      return undefined;
    }
    if (!bytes.equals(AMQP_HEADER)) {
      // Plain AMQP is answered in kind; anything else (TLS, other versions) gets the SASL
      // layer, which is where the SDKs start. After SASL only AMQP itself may follow.
      const answerHeader = this.phase === 'header' && bytes[4] !== 0 ? SASL_HEADER : AMQP_HEADER;
      return { ...framing('unsupported protocol header'), answerHeader };
    }
    const afterSasl = this.phase === 'sasl';
    this.phase = 'amqp';
    return afterSasl ? SASL_DONE : undefined;
  }

  /**
   * rhea answers a mechanism it does not offer with a failed sasl-outcome and emits nothing;
   * the guard notes it for the log (at most 64 characters of the client's text).
   */
  private saslInit(mechanism: string | undefined): void {
    if (mechanism !== undefined && OFFERED.has(mechanism)) return;
    this.refusedMechanism = (mechanism ?? '(none)').slice(0, 64);
  }

  /**
   * A client sends one sasl-init and, for a mechanism with challenges, sasl-responses. None of
   * the offered mechanisms challenges, so anything past the first init is refused before rhea
   * reads it: a second init would be a second login attempt on a connection being ended.
   */
  private saslFrame(code: number, mechanism: string | undefined): FrameViolation | undefined {
    this.saslFrames++;
    if (code !== Performative.saslInit) {
      return framing('a SASL frame other than sasl-init from the client');
    }
    if (this.saslFrames > 1) return framing('a second sasl-init: one SASL exchange per connection');
    this.saslInit(mechanism);
    return undefined;
  }

  private frame(bytes: Buffer): Step {
    const bodyStart = bytes[4]! * 4;
    if (bodyStart < HEADER_BYTES || bodyStart > bytes.length) {
      return framing('a frame with a bad data offset');
    }
    const sasl = this.phase === 'sasl';
    if (bytes[5] !== (sasl ? 1 : 0)) return framing('a frame of the wrong type');
    // An empty frame is a heartbeat.
    if (bodyStart === bytes.length) return undefined;

    const walked = checkValues(bytes, bodyStart, bytes.length, 1);
    if (typeof walked === 'string') return decodeError(`a performative with ${walked}`);
    const performative = readPerformative(bytes, bodyStart, sasl);
    if (typeof performative === 'string') return decodeError(performative);
    if (sasl) return this.saslFrame(performative.code, performative.firstSymbol);

    const channel = bytes.readUInt16BE(6);
    const handled = this.handles.performative(channel, performative);
    if (typeof handled === 'object' && isSessionRefusal(handled)) {
      this.deliveries.endSession(channel);
    }
    if (handled !== undefined) return handled;
    const checked = this.deliveries.performative(
      channel,
      performative,
      bytes.subarray(performative.end),
    );
    if (checked !== undefined && isSessionRefusal(checked)) this.handles.discard(channel);
    return checked;
  }
}

function isWithheld(step: Step): step is SessionRefusal | typeof DROP {
  return step === DROP || (typeof step === 'object' && isSessionRefusal(step));
}
