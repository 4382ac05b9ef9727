import { create_container, type Connection, type Receiver, type Sender } from 'rhea';

// A bare rhea client for the authorization tests: it puts tokens on $cbs and attaches entity
// links itself, so a test controls exactly which tokens a connection holds and when.

/** How a link or the connection ended: the error the broker gave, and when. */
export interface Ending {
  condition: string | undefined;
  description: string | undefined;
  atMs: number;
}

/** An attached entity link, what it received, and a promise of its end. */
export interface WatchedLink<L extends Sender | Receiver> {
  link: L;
  bodies: unknown[];
  /** Resolves when the broker answers the attach (a refusal follows it with a detach). */
  opened: Promise<void>;
  ended: Promise<Ending>;
}

export class CbsClient {
  readonly closed: Promise<Ending>;
  private readonly cbsName = `cbs-test-${process.pid}`;
  private nextId = 1;
  private readonly pending = new Map<string, (status: number) => void>();

  private constructor(
    private readonly connection: Connection,
    private readonly cbsSender: Sender,
  ) {
    this.closed = new Promise((resolve) => {
      const end = () => resolve(endingOf(connection.error));
      connection.once('connection_close', end);
      connection.once('disconnected', end);
    });
  }

  /** Opens a connection to the emulator and its $cbs link pair (no token yet). */
  static async open(port: number): Promise<CbsClient> {
    const connection = create_container().connect({
      host: '127.0.0.1',
      port,
      hostname: 'localhost',
      reconnect: false,
    });
    const session = connection.create_session();
    session.begin();
    const cbsSender = session.attach_sender({ target: { address: '$cbs' } });
    const client = new CbsClient(connection, cbsSender);
    const replies = session.attach_receiver({
      name: client.cbsName,
      source: { address: '$cbs' },
      target: {},
    });
    replies.on('message', (context) => {
      const reply = context.message!;
      const status = Number(reply.application_properties?.['status-code']);
      client.pending.get(String(reply.correlation_id))?.(status);
    });
    await Promise.all([
      new Promise((resolve) => replies.once('receiver_open', resolve)),
      new Promise((resolve) => cbsSender.once('sendable', resolve)),
    ]);
    return client;
  }

  /** Sends a put-token and resolves with the status code the broker answered. */
  putToken(audience: string, token: string): Promise<number> {
    const id = `put-${this.nextId++}`;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.cbsSender.send({
        message_id: id,
        reply_to: this.cbsName,
        to: '$cbs',
        body: token,
        application_properties: {
          operation: 'put-token',
          name: audience,
          type: 'servicebus.windows.net:sastoken',
        },
      });
    });
  }

  /** A peek-lock receiving link on the entity, with credit for ten messages. */
  receiver(address: string): WatchedLink<Receiver> {
    const link = this.connection.attach_receiver({
      source: { address },
      autoaccept: false,
      credit_window: 10,
    });
    const bodies: unknown[] = [];
    link.on('message', (context) => bodies.push(bodyOf(context.message!.body)));
    return { link, bodies, ...endingsOf(link, 'receiver') };
  }

  /** A sending link to the entity. */
  sender(address: string): WatchedLink<Sender> {
    const link = this.connection.attach_sender({ target: { address } });
    return { link, bodies: [], ...endingsOf(link, 'sender') };
  }

  close(): void {
    this.connection.close();
    this.connection.socket?.destroy();
  }
}

function endingsOf(link: Sender | Receiver, role: 'sender' | 'receiver') {
  const ended = new Promise<Ending>((resolve) =>
    link.once(`${role}_close`, () => resolve(endingOf(link.error))),
  );
  const opened = new Promise<void>((resolve) => link.once(`${role}_open`, () => resolve()));
  return { opened, ended };
}

/** The SDK sends a JSON body as one data section; rhea hands that over as a `Section`. */
function bodyOf(body: unknown): unknown {
  const content = (body as { content?: unknown } | null)?.content;
  return Buffer.isBuffer(content) ? JSON.parse(content.toString('utf8')) : body;
}

function endingOf(error: unknown): Ending {
  const amqpError = (error ?? {}) as { condition?: string; description?: string };
  return { condition: amqpError.condition, description: amqpError.description, atMs: Date.now() };
}
