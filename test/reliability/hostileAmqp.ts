import { connect, type Socket } from 'node:net';

import { create_container, type Connection, type Receiver, type Sender } from 'rhea';

import { signSasToken as sasToken } from '../support/sasToken';

// Hostile and churning AMQP clients for the hostile-input test (issue 7, item 10). Every one
// of them leaves no timer or socket behind, so the test process can exit by itself.

export { sasToken };

/** The connection string's endpoint with a ready-made token instead of a key. */
export function withToken(connectionString: string, token: string): string {
  const endpoint = /Endpoint=[^;]*;/.exec(connectionString)?.[0] ?? '';
  return `${endpoint}SharedAccessSignature=${token};UseDevelopmentEmulator=true;`;
}

/** Opens a TCP connection, writes `bytes`, and drops it after `holdMs`. */
export function rawConnection(port: number, bytes: Buffer, holdMs: number): Promise<void> {
  return new Promise((resolve) => {
    let holdTimer: NodeJS.Timeout | undefined;
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      holdTimer = setTimeout(() => socket.destroy(), holdMs);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      // The server often drops us first; no timer may outlive the socket.
      clearTimeout(holdTimer);
      resolve();
    });
  });
}

const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
const SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);

/** Frames that lie: a size larger than what follows, a size of 4 GB, a size below the header. */
export function hostileFrames(random: () => number): Buffer[] {
  const frame = (size: number, body: Buffer) => {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(size >>> 0, 0);
    header[4] = 2;
    return Buffer.concat([header, body]);
  };
  const noise = (n: number) =>
    Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  return [
    noise(64),
    noise(4096),
    Buffer.concat([AMQP_HEADER, noise(200)]),
    Buffer.concat([SASL_HEADER, noise(200)]),
    Buffer.concat([AMQP_HEADER, frame(1000, noise(10))]),
    Buffer.concat([AMQP_HEADER, frame(0xffffffff, noise(100))]),
    Buffer.concat([AMQP_HEADER, frame(3, Buffer.alloc(0))]),
    Buffer.concat([SASL_HEADER, frame(64 * 1024 * 1024, noise(5000))]),
    Buffer.concat([AMQP_HEADER, frame(8 + 2_000_000, noise(300_000))]),
    AMQP_HEADER.subarray(0, 5),
  ];
}

export interface ChurnOptions {
  port: number;
  /** `sb://host:port`, the audience prefix for tokens. */
  endpoint: string;
  connections: number;
  parallel: number;
  /** What the anonymous clients and the out-of-scope links aim at. */
  protectedQueue: string;
  /** The one queue the authorised clients hold a token for. */
  grantedQueue: string;
  policy: { name: string; key: string };
}

/**
 * How each link ended, keyed `<who>:<link>:<outcome>`, plus how the CBS replies came back.
 * The caller compares it with what every connection must see.
 */
export type ChurnReport = Record<string, number>;

export const UNAUTHORIZED = 'amqp:unauthorized-access';
/** A connection still open by then is cut, and its missing outcomes fail the round. */
const CONNECTION_DEADLINE_MS = 3000;

/**
 * Opens `connections` AMQP connections with rhea and drops them: half anonymous (their links
 * must be refused), half with a CBS token for `grantedQueue` only (a receiver there must stay
 * attached, a sender to `protectedQueue` must be refused). Half close politely, half vanish.
 */
export async function connectionChurn(options: ChurnOptions): Promise<ChurnReport> {
  const container = create_container({ id: 'hostile-churn' });
  // Refusals and cuts are expected: rhea would print or throw them without a listener.
  for (const event of [
    'error',
    'disconnected',
    'connection_error',
    'protocol_error',
    'session_error',
    'sender_error',
    'receiver_error',
  ]) {
    container.on(event, () => undefined);
  }

  const report: ChurnReport = {};
  const count = (key: string) => (report[key] = (report[key] ?? 0) + 1);
  for (let start = 0; start < options.connections; start += options.parallel) {
    const batch = Math.min(options.parallel, options.connections - start);
    await Promise.all(
      Array.from({ length: batch }, (_, k) => churnOne(container, options, start + k, count)),
    );
  }
  return report;
}

function churnOne(
  container: ReturnType<typeof create_container>,
  options: ChurnOptions,
  index: number,
  count: (key: string) => void,
): Promise<void> {
  const authorised = index % 4 < 2;
  const politely = index % 2 === 0;
  const who = authorised ? 'authorised' : 'anonymous';

  return new Promise<void>((resolve) => {
    const connection = container.connect({
      host: '127.0.0.1',
      port: options.port,
      reconnect: false,
      idle_time_out: 0,
    });
    const socket = connection.socket as unknown as Socket;
    // rhea stops its heartbeat timers only when its socket ends or fails, never on a plain
    // destroy(): so a vanishing client destroys with an error, which rhea sees as a cut.
    const vanish = () => socket.destroy(new Error('client vanished'));
    const deadline = setTimeout(vanish, CONNECTION_DEADLINE_MS);
    socket.once('close', () => {
      clearTimeout(deadline);
      resolve();
    });

    const leave = () => (politely ? connection.close() : vanish());
    const attachEntityLinks = () => {
      const links: Array<[string, Sender | Receiver]> = authorised
        ? [
            ['granted receiver', connection.open_receiver(options.grantedQueue)],
            ['out-of-scope sender', connection.open_sender(options.protectedQueue)],
          ]
        : [
            ['receiver', connection.open_receiver(options.protectedQueue)],
            ['sender', connection.open_sender(options.protectedQueue)],
          ];
      settleLinks(connection, links, (name, outcome) => count(`${who}:${name}:${outcome}`), leave);
    };

    connection.once('connection_open', () => {
      if (!authorised) return attachEntityLinks();
      putToken(connection, options, index, (status, preSettled) => {
        count(`authorised:cbs:${status}`);
        if (preSettled) count('authorised:cbs:pre-settled');
        attachEntityLinks();
      });
    });
  });
}

/**
 * Reports each link as `attached` or by its refusal condition, once the broker has answered
 * them all. A refused link's detach may arrive in a later read than its attach; a barrier
 * link attached after them is answered after both, as the broker replies in order.
 */
function settleLinks(
  connection: Connection,
  links: Array<[string, Sender | Receiver]>,
  report: (name: string, outcome: string) => void,
  done: () => void,
): void {
  const barrier = connection.open_receiver({ source: { address: '$cbs' } });
  barrier.once('receiver_open', () => {
    for (const [name, link] of links) {
      const condition = (link.error as { condition?: string } | undefined)?.condition;
      report(name, condition ?? (link.is_remote_open() ? 'attached' : 'closed'));
    }
    done();
  });
}

/** Puts a token for `grantedQueue` on `$cbs`; reports the reply's status and settlement. */
function putToken(
  connection: Connection,
  options: ChurnOptions,
  index: number,
  onReply: (status: string, preSettled: boolean) => void,
): void {
  const replyTo = `cbs-reply-${index}`;
  const audience = `${options.endpoint}/${options.grantedQueue}`;
  const expiresAtSeconds = Math.floor(Date.now() / 1000) + 600;
  const token = sasToken(audience, expiresAtSeconds, options.policy.name, options.policy.key);

  const replies = connection.open_receiver({ source: { address: '$cbs' }, name: replyTo });
  replies.once('message', (context) => {
    const status = context.message?.application_properties?.['status-code'] as unknown;
    onReply(String(status), context.delivery?.remote_settled === true);
  });
  const requests = connection.open_sender({ target: { address: '$cbs' } });
  requests.once('sendable', () => {
    requests.send({
      message_id: `put-token-${index}`,
      reply_to: replyTo,
      application_properties: {
        operation: 'put-token',
        type: 'servicebus.windows.net:sastoken',
        name: audience,
      },
      body: token,
    });
  });
}
