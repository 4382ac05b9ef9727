/**
 * The one place that reaches into rhea. rhea's typings describe the client side well but not
 * the server-side internals we use, so the broker works with these narrow local shapes.
 *
 * rhea decodes every format-0 transfer and drops the raw bytes. Service Bus keeps the bare
 * message (properties, application properties, body) exactly as sent, which matters to
 * non-JavaScript clients whose types rhea would not round-trip. So a hook on rhea's decode
 * (shared/rheaMessageDecode.ts) attaches the bytes it decoded. Another change is shared with
 * the clients: the order in which settlements are queued (shared/rheaDispositions.ts). The
 * last one frees deliveries whose lock is over from rhea's session ring
 * (forgottenDeliveries.ts).
 */
import { fixRheaDispositionRanges } from '../../shared/rheaDispositions';
import { onMessageDecoded } from '../../shared/rheaMessageDecode';
import { installForgottenDeliveries } from './forgottenDeliveries';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rheaModule = require('rhea') as RheaModule;

export const RAW_BYTES = Symbol('sbworker.rawBytes');

// The broker accepts some transfers and refuses others in one turn; see the module for why.
fixRheaDispositionRanges();
// Peek-lock deliveries whose lock is over leave rhea's session ring (see the module).
installForgottenDeliveries();

onMessageDecoded(attachRawBytes);

function attachRawBytes(decoded: object, bytes: Buffer): void {
  Object.defineProperty(decoded, RAW_BYTES, { value: bytes, enumerable: false });
}

export const rhea = rheaModule;
export const types = rheaModule.types;
export const amqpMessage = rheaModule.message;

export type Typed = { type: unknown; value: unknown; descriptor?: { value: unknown } };

export interface RheaTypes {
  Reader: new (buffer: Buffer) => { read(): Typed; position: number; remaining(): number };
  Writer: new () => { write(value: Typed): void; toBuffer(): Buffer };
  wrap(value: unknown): Typed;
  wrap_long(value: number | Buffer): Typed;
  wrap_ulong(value: number | Buffer): Typed;
  wrap_uint(value: number): Typed;
  wrap_int(value: number): Typed;
  wrap_double(value: number): Typed;
  wrap_string(value: string): Typed;
  wrap_symbol(value: string): Typed;
  wrap_binary(value: Buffer): Typed;
  wrap_timestamp(value: number): Typed;
  wrap_uuid(value: Buffer): Typed;
  wrap_boolean(value: boolean): Typed;
  wrap_list(value: unknown[]): Typed;
  wrap_map(value: object, keyWrapper?: (key: string) => Typed): Typed;
  wrap_symbolic_map(value: object): Typed;
  wrap_array(values: unknown[], code: number, descriptor?: unknown): Typed;
  described(descriptor: Typed, value: Typed): Typed;
  unwrap(value: Typed, leaveDescribed?: boolean): unknown;
  Map32: (value: unknown[]) => Typed;
}

export interface AmqpMessageModule {
  encode(message: object): Buffer;
  decode(buffer: Buffer): AmqpMessage;
  accepted(): object;
  rejected(info?: object): object;
  modified(info?: object): object;
  released(): object;
}

export interface AmqpMessage {
  message_id?: unknown;
  correlation_id?: unknown;
  to?: string;
  reply_to?: string;
  subject?: string;
  content_type?: string;
  group_id?: string;
  reply_to_group_id?: string;
  ttl?: number;
  durable?: boolean;
  priority?: number;
  delivery_count?: number;
  message_annotations?: Record<string, unknown>;
  application_properties?: Record<string, unknown>;
  body?: unknown;
  [RAW_BYTES]?: Buffer;
}

export interface RheaModule {
  create_container(options?: object): Container;
  types: RheaTypes;
  message: AmqpMessageModule;
}

export interface Container {
  id: string;
  /** The SASL mechanisms a connection accepted next offers (rhea reads them in `accept`). */
  sasl_server_mechanisms: object;
  listen(options: object): import('node:net').Server;
  on(event: string, handler: (context: EventContext) => void): void;
  on(event: 'error' | 'protocol_error', handler: (error: unknown) => void): void;
}

export interface EventContext {
  connection: Connection;
  session?: unknown;
  sender?: Sender;
  receiver?: Receiver;
  delivery?: Delivery;
  message?: AmqpMessage | Buffer;
  format?: number;
  error?: unknown;
}

export interface Connection {
  options: { id?: string };
  remote: { open?: { container_id?: string; hostname?: string }; close?: { error?: unknown } };
  /** A listener here takes the connection's read and write failures from the container. */
  on(event: 'error', listener: (error: unknown) => void): void;
  socket?: {
    remoteAddress?: string;
    remotePort?: number;
    /** Bytes written to the socket that the operating system has not taken yet. */
    writableLength: number;
    once(event: 'drain', listener: () => void): unknown;
    destroy(): void;
  };
  close(error?: AmqpError): void;
  is_open(): boolean;
  is_closed(): boolean;
  /** Schedules rhea's next turn for the connection (writes and ring clean-up). */
  _register(): void;
  [key: symbol]: unknown;
}

export interface AmqpError {
  condition: string;
  description?: string;
  info?: object;
}

interface LinkBase {
  name: string;
  connection: Connection;
  /** The link's session (compared by identity only). */
  session: object;
  remote: { attach: RemoteAttach; detach?: { error?: AmqpError } };
  local: { attach: Record<string, unknown> };
  state: { local_open: boolean; open_requests: number };
  open(): void;
  close(error?: AmqpError): void;
  is_open(): boolean;
  is_closed(): boolean;
  set_source(source: object): void;
  set_target(target: object): void;
  [key: symbol]: unknown;
}

export interface RemoteAttach {
  name: string;
  snd_settle_mode?: number;
  rcv_settle_mode?: number;
  source?: {
    address?: string;
    filter?: Record<string, unknown> | null;
    dynamic?: unknown;
  } | null;
  /** A terminus rhea does not know (a transaction coordinator) reads as a typed null. */
  target?: { address?: string; dynamic?: unknown } | null;
  properties?: Record<string, unknown> | null;
}

export interface Sender extends LinkBase {
  credit: number;
  delivery_count: number;
  send(payload: Buffer, tag: Buffer, format: number): Delivery;
  sendable(): boolean;
  set_drained(drained: boolean): void;
}

export interface Receiver extends LinkBase {
  credit: number;
  add_credit(credit: number): void;
}

export interface Delivery {
  id: number;
  tag: Buffer;
  /** The client's outcome as rhea decoded it: every field is optional and may be null. */
  remote_state?: {
    undeliverable_here?: unknown;
    delivery_failed?: unknown;
    message_annotations?: unknown;
    error?: unknown;
  } | null;
  /** Our side's settlement; true before the first transfer makes it leave pre-settled. */
  settled?: boolean;
  remote_settled?: boolean;
  link: Sender | Receiver;
  update(settled: boolean, state?: object): void;
  accept(): void;
  reject(error?: AmqpError): void;
  [key: symbol]: unknown;
}
