/**
 * A raw AMQP client on rhea, as a non-JavaScript SDK behaves: no @azure/service-bus involved.
 * It puts a SAS token for each address it uses, sends encoded messages as they are, and
 * receives in peek-lock with credit given by hand.
 */
import assert from 'node:assert/strict';

import { rhea, types, type AmqpMessage } from '../../src/emulator/amqp/rhea';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { signSasToken } from './sasToken';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Any = any;

function sasToken(audience: string): string {
  const expiresAtSeconds = Math.floor(Date.now() / 1000) + 600;
  return signSasToken(audience, expiresAtSeconds, DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key);
}

export function once<T>(emitter: Any, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}

export class RawClient {
  private readonly container = rhea.create_container() as Any;
  connection: Any;
  private replies: Any;
  private requests: Any;
  private readonly pending = new Map<string, (message: AmqpMessage) => void>();
  private nextId = 0;

  async open(port: number): Promise<void> {
    this.connection = this.container.connect({ host: '127.0.0.1', port, reconnect: false });
    await once(this.connection, 'connection_open');
    this.requests = this.connection.open_sender({ target: { address: '$cbs' } });
    this.replies = this.connection.open_receiver({
      source: { address: '$cbs' },
      target: { address: 'raw-cbs' },
      name: 'raw-cbs',
    });
    this.replies.on('message', (context: Any) =>
      this.pending.get(context.message.correlation_id)?.(context.message),
    );
    await Promise.all([once(this.requests, 'sendable'), once(this.replies, 'receiver_open')]);
  }

  async putToken(path: string): Promise<void> {
    const audience = `sb://localhost/${path}`;
    const id = `req-${this.nextId++}`;
    const response = new Promise<AmqpMessage>((resolve) => this.pending.set(id, resolve));
    this.requests.send({
      message_id: id,
      reply_to: 'raw-cbs',
      to: '$cbs',
      application_properties: {
        operation: 'put-token',
        name: audience,
        type: 'servicebus.windows.net:sastoken',
      },
      body: sasToken(audience),
    });
    const reply = await response;
    assert.equal(reply.application_properties?.['status-code'], 202);
  }

  async management(path: string, operation: string, body: object): Promise<AmqpMessage> {
    await this.putToken(`${path}/$management`);
    const sender = this.connection.open_sender({ target: { address: `${path}/$management` } });
    const replyTo = `raw-mgmt-${this.nextId++}`;
    const receiver = this.connection.open_receiver({
      source: { address: `${path}/$management` },
      target: { address: replyTo },
      name: replyTo,
    });
    await Promise.all([once(sender, 'sendable'), once(receiver, 'receiver_open')]);
    const reply = once<Any>(receiver, 'message');
    sender.send({
      message_id: 'm1',
      reply_to: replyTo,
      application_properties: { operation },
      body: types.wrap_map(body),
    });
    const context = await reply;
    sender.close();
    receiver.close();
    return context.message;
  }

  /** Sends an encoded message as it is (format 0) and waits for the broker to accept it. */
  async sendBytes(address: string, bytes: Buffer): Promise<void> {
    await this.putToken(address);
    const sender = this.connection.open_sender({ target: { address } });
    await once(sender, 'sendable');
    sender.send(bytes, undefined, 0);
    const context = await once<Any>(sender, 'accepted');
    assert.ok(context.delivery);
    sender.close();
  }

  /** Receives one message in peek-lock; the caller settles it and closes the receiver. */
  async receiveOne(
    address: string,
    options: object = {},
  ): Promise<{ message: AmqpMessage; delivery: Any; receiver: Any }> {
    await this.putToken(address);
    const receiver = this.connection.open_receiver({
      source: { address },
      autoaccept: false,
      rcv_settle_mode: 1,
      credit_window: 0,
      ...options,
    });
    await once(receiver, 'receiver_open');
    receiver.add_credit(1);
    const context = await once<Any>(receiver, 'message');
    return { message: context.message, delivery: context.delivery, receiver };
  }

  async close(): Promise<void> {
    const closed = once(this.connection, 'connection_close');
    this.connection.close();
    await closed;
  }
}
