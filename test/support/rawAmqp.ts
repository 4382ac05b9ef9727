/**
 * A raw AMQP 1.0 peer on a plain socket, for tests that send what no SDK would. Frames are
 * encoded and read with rhea's frame codec (the emulator's guard is what is under test).
 */
import { connect, type Socket } from 'node:net';

import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { signSasToken } from './sasToken';

interface Frames {
  write_frame(frame: object): Buffer;
  amqp_frame(channel: number, performative: object, payload?: Buffer): object;
  sasl_frame(performative: object): object;
  read_frame(buffer: Buffer): {
    channel?: number;
    performative?: {
      constructor?: { descriptor?: { symbolic?: string } };
      error?: { condition?: string };
      state?: unknown;
      handle?: number;
      more?: boolean;
    };
    payload?: Buffer;
  };
  [performative: string]: unknown;
}
/* eslint-disable @typescript-eslint/no-require-imports */
const frames = require('rhea/lib/frames.js') as Frames;
const rheaTypes = require('rhea/lib/types.js') as {
  described(descriptor: unknown, value: unknown): unknown;
  wrap_ulong(value: number): unknown;
  wrap_list(values: unknown[]): unknown;
};
const rheaMessage = require('rhea/lib/message.js') as {
  encode(message: object): Buffer;
  decode(bytes: Buffer): DecodedMessage;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** A frame the server sent: its channel, and its performative's fields as rhea reads them. */
export interface ReceivedFrame {
  name: string;
  channel: number;
  fields: Record<string, unknown>;
}

/** A message as rhea decodes it (application properties and body as plain values). */
export interface DecodedMessage {
  correlation_id?: unknown;
  application_properties?: Record<string, unknown>;
  body?: unknown;
}

export const SASL_HEADER = Buffer.from('AMQP\x03\x01\x00\x00', 'latin1');
export const AMQP_HEADER = Buffer.from('AMQP\x00\x01\x00\x00', 'latin1');
export const encodeMessage = (message: object): Buffer => rheaMessage.encode(message);

/** A performative by rhea's name (`open`, `transfer`, ...) as an AMQP frame on `channel`. */
export function amqpFrame(name: string, fields: object, payload?: Buffer, channel = 0): Buffer {
  const make = frames[name] as (fields: object) => object;
  return frames.write_frame(frames.amqp_frame(channel, make(fields), payload));
}

/** A frame of type AMQP on channel 0 whose body is `body` as given. */
export function rawFrame(body: Buffer): Buffer {
  const frame = Buffer.alloc(8 + body.length);
  frame.writeUInt32BE(frame.length, 0);
  frame[4] = 2;
  body.copy(frame, 8);
  return frame;
}

const terminus = (code: number, address: string): unknown =>
  rheaTypes.described(rheaTypes.wrap_ulong(code), rheaTypes.wrap_list([address]));

export class RawPeer {
  readonly received: string[] = [];
  /** The frames the server sent, in order (heartbeats and protocol headers left out). */
  readonly frames: ReceivedFrame[] = [];
  /** The protocol headers the server sent, as bytes. */
  readonly headers: Buffer[] = [];
  /** The messages of the transfers the server sent (single-frame ones). */
  readonly messages: DecodedMessage[] = [];
  /** The `state` (outcome) of each disposition the server sent. */
  readonly dispositionStates: unknown[] = [];
  /** The condition of the `close` the server sent, if it sent one. */
  closeCondition: string | undefined;
  closed = false;
  bytesWritten = 0;
  private input = Buffer.alloc(0);
  /** Channel and handle of links whose last transfer frame said `more`. */
  private readonly unfinishedTransfers = new Set<string>();
  private readonly closedAt: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('error', () => undefined);
    this.closedAt = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => (this.closed = true));
    socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawPeer(socket);
  }

  /** SASL ANONYMOUS (waiting for its outcome), then AMQP open and begin on channel 0. */
  static async open(port: number): Promise<RawPeer> {
    const peer = await RawPeer.connect(port);
    peer.write(SASL_HEADER);
    peer.write(saslInitFrame());
    if (!(await peer.waitFor('sasl_outcome'))) throw new Error('no SASL outcome');
    peer.write(AMQP_HEADER);
    peer.write(amqpFrame('open', { container_id: 'raw-peer', max_frame_size: 65536 }));
    peer.write(
      amqpFrame('begin', { next_outgoing_id: 0, incoming_window: 2048, outgoing_window: 2048 }),
    );
    await peer.waitFor('begin');
    return peer;
  }

  /**
   * A peer with a token for `queue` and a sending link to it with credit; its handle is 2 and
   * its first delivery id 1 (the token took 0).
   */
  static async sender(port: number, queue: string, link: string): Promise<RawPeer> {
    const peer = await RawPeer.open(port);
    const handle = await peer.authorise(port, queue);
    peer.attach(handle, link, false, queue);
    if (!(await peer.waitFor('flow', 5000, 2))) throw new Error('no credit for the sender');
    return peer;
  }

  /**
   * Puts a token for `entity` through $cbs (handles 0 and 1, delivery id 0); returns the next
   * free handle. Delivery ids count per session, so the caller's next one is 1.
   */
  async authorise(emulatorPort: number, entity: string): Promise<number> {
    const audience = `sb://localhost:${emulatorPort}/${entity}`;
    const { name, key } = DEVELOPMENT_POLICY;
    const token = signSasToken(audience, Math.floor(Date.now() / 1000) + 600, name, key);
    if (!(await this.putToken(audience, token))) throw new Error('no answer to put-token');
    return 2;
  }

  /**
   * Opens the $cbs pair (handles 0 and 1) and sends one request with `body` as the token
   * (delivery id 0); resolves with its answer, or undefined when none came in time.
   */
  async putToken(
    audience: string,
    body: unknown,
    operation = 'put-token',
  ): Promise<DecodedMessage | undefined> {
    this.attach(0, 'cbs-out', false, '$cbs');
    this.attach(1, 'cbs-in', true, 'cbs-reply', '$cbs');
    this.write(
      amqpFrame('flow', { ...flowWindow(), handle: 1, delivery_count: 0, link_credit: 5 }),
    );
    const request = encodeMessage({
      message_id: 'put-token',
      reply_to: 'cbs-reply',
      application_properties: {
        operation,
        type: 'servicebus.windows.net:sastoken',
        name: audience,
      },
      body,
    });
    const tag = Buffer.from('cbs');
    this.write(
      amqpFrame(
        'transfer',
        { handle: 0, delivery_id: 0, delivery_tag: tag, message_format: 0, settled: true },
        request,
      ),
    );
    if (!(await this.waitFor('transfer'))) return undefined;
    return this.messages[this.messages.length - 1];
  }

  /** Attaches a link; `role` true is a receiver, false a sender to `target`. */
  attach(
    handle: number,
    name: string,
    role: boolean,
    target: string,
    source = name,
    channel = 0,
  ): void {
    const fields = {
      name,
      handle,
      role,
      source: terminus(0x28, source),
      target: terminus(0x29, target),
      initial_delivery_count: 0,
    };
    this.write(amqpFrame('attach', fields, undefined, channel));
  }

  /** Resolves with the first frame the server sent that `matches`, or undefined in time. */
  async frameWhere(
    matches: (frame: ReceivedFrame) => boolean,
    timeoutMs = 5000,
  ): Promise<ReceivedFrame | undefined> {
    const startedAt = Date.now();
    for (;;) {
      const found = this.frames.find(matches);
      if (found || this.closed || Date.now() - startedAt > timeoutMs) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Gives the receiving link on `handle` `credit` deliveries (session window as at begin). */
  grantCredit(handle: number, credit: number): void {
    this.write(
      amqpFrame('flow', { ...flowWindow(), handle, delivery_count: 0, link_credit: credit }),
    );
  }

  write(bytes: Buffer): boolean {
    this.bytesWritten += bytes.length;
    return this.socket.write(bytes);
  }

  /** Resolves once `count` frames with this performative (as rhea names it) have come. */
  async waitFor(name: string, timeoutMs = 5000, count = 1): Promise<boolean> {
    const startedAt = Date.now();
    while (this.received.filter((received) => received === name).length < count) {
      if (this.closed || Date.now() - startedAt > timeoutMs) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  /** Resolves true when the server closed the socket within the time. */
  async whenClosed(timeoutMs: number): Promise<boolean> {
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([this.closedAt, timeout]);
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.input = Buffer.concat([this.input, chunk]);
    for (;;) {
      if (this.input.length >= 8 && this.input.toString('latin1', 0, 4) === 'AMQP') {
        this.received.push('header');
        this.headers.push(Buffer.from(this.input.subarray(0, 8)));
        this.input = this.input.subarray(8);
        continue;
      }
      if (this.input.length < 8 || this.input.length < this.input.readUInt32BE(0)) return;
      const size = this.input.readUInt32BE(0);
      const frame = frames.read_frame(this.input.subarray(0, size));
      this.input = this.input.subarray(size);
      const symbolic = frame.performative?.constructor?.descriptor?.symbolic ?? 'empty';
      const name = symbolic.replace(/^amqp:/, '').replace(/:list$/, '');
      if (name === 'close') this.closeCondition = frame.performative?.error?.condition;
      // Only whole single-frame messages: a frame of a multi-frame one does not decode alone.
      if (name === 'transfer') {
        const key = `${frame.channel}/${frame.performative?.handle}`;
        const whole = !frame.performative?.more && !this.unfinishedTransfers.has(key);
        if (whole && frame.payload) this.messages.push(rheaMessage.decode(frame.payload));
        if (frame.performative?.more) this.unfinishedTransfers.add(key);
        else this.unfinishedTransfers.delete(key);
      }
      if (name === 'disposition') this.dispositionStates.push(frame.performative?.state);
      if (name !== 'empty') {
        const fields = (frame.performative ?? {}) as Record<string, unknown>;
        this.frames.push({ name, channel: frame.channel ?? 0, fields });
      }
      this.received.push(name);
    }
  }
}

/** A SASL init frame choosing ANONYMOUS, or the mechanism given with its initial response. */
export function saslInitFrame(mechanism = 'ANONYMOUS', initialResponse?: Buffer): Buffer {
  const init = (frames.sasl_init as (fields: object) => object)({
    mechanism,
    initial_response: initialResponse,
  });
  return frames.write_frame(frames.sasl_frame(init));
}

/** A SASL frame a client should never send after its init, for the guard's tests. */
export function saslResponseFrame(response: Buffer): Buffer {
  const make = frames.sasl_response as (fields: object) => object;
  return frames.write_frame(frames.sasl_frame(make({ response })));
}

export function flowWindow(): object {
  return { next_incoming_id: 0, incoming_window: 2048, next_outgoing_id: 0, outgoing_window: 2048 };
}
