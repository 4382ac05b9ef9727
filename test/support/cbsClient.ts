import { create_container, types, type Connection, type Receiver, type Sender } from 'rhea';

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

/** The request and reply links of `<entity>/$management`, attached as the SDK does. */
export interface ManagementPair {
  requests: WatchedLink<Sender>;
  replies: WatchedLink<Receiver>;
  /** Sends a peek for one message; resolves with the reply's `statusCode`. */
  peek(): Promise<number>;
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

  /**
   * Opens a connection to the emulator and its $cbs link pair (no token yet). `connectOptions`
   * go to rhea as they are (a SASL user name and password, or mechanisms of the test's own).
   */
  static async open(port: number, connectOptions: object = {}): Promise<CbsClient> {
    const connection = create_container().connect({
      host: '127.0.0.1',
      port,
      hostname: 'localhost',
      reconnect: false,
      ...connectOptions,
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

  /** Attaches the `$management` pair of the entity (no token is put for it here). */
  management(entity: string): ManagementPair {
    const address = `${entity}/$management`;
    const replyName = `mgmt-reply-${this.nextId++}`;
    const requests = this.sender(address);
    const replyLink = this.connection.attach_receiver({
      name: replyName,
      source: { address },
      target: { address: replyName },
      credit_window: 10,
    });
    const replies = { link: replyLink, bodies: [], ...endingsOf(replyLink, 'receiver') };
    replyLink.on('message', (context) => {
      const reply = context.message!;
      const status = Number(reply.application_properties?.statusCode);
      this.pending.get(String(reply.correlation_id))?.(status);
    });

    const peek = () => {
      const id = `peek-${this.nextId++}`;
      return new Promise<number>((resolve) => {
        this.pending.set(id, resolve);
        requests.link.send({
          message_id: id,
          reply_to: replyName,
          application_properties: { operation: 'com.microsoft:peek-message' },
          body: types.wrap_map({
            'from-sequence-number': types.wrap_long(1),
            'message-count': types.wrap_int(1),
          }),
        });
      });
    };
    return { requests, replies, peek };
  }

  close(): void {
    this.connection.close();
    this.connection.socket?.destroy();
  }
}

/** The raw clients of one suite, closed together after it. */
export class CbsClients {
  private readonly clients: CbsClient[] = [];

  constructor(private readonly port: () => number) {}

  async open(): Promise<CbsClient> {
    const client = await CbsClient.open(this.port());
    this.clients.push(client);
    return client;
  }

  closeAll(): void {
    for (const client of this.clients) client.close();
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
