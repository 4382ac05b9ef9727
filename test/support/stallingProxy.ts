import { connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of the emulator whose traffic can be held up: while stalled,
 * bytes in both directions wait in the proxy (a network that stops moving packets without
 * dropping the connection) and go on, in order, once it resumes. `stall('toBroker')` holds
 * only what the clients send, so the broker's deliveries still arrive; `stall('fromBroker')`
 * holds only what the broker sends.
 */
export interface StallingProxy {
  port: number;
  stall(direction?: StallDirection): void;
  /**
   * From the first disposition a client sends on (its first settlement), holds what the clients
   * send, as `stall('toBroker')`: a network that stops just as a client settles.
   */
  stallAtClientDisposition(): void;
  /**
   * Sends what was held. With `dispositionsLaterMs`, the broker's disposition frames go that
   * much later than its other held frames: a broker that answers a settlement only once it is
   * stored (the emulator with a data folder, after its fsync) while it answers a detach at once.
   */
  resume(options?: { dispositionsLaterMs?: number }): void;
  /**
   * Ends every connection through the proxy and drops what it held: a network cut. With
   * `reset`, each connection ends with a TCP reset (ECONNRESET at the client), as a router or
   * a broker's host that lost the connection answers.
   */
  drop(options?: { reset?: boolean }): void;
  close(): Promise<void>;
}

export type StallDirection = 'both' | 'toBroker' | 'fromBroker';

interface Held {
  to: Socket;
  chunk: Buffer;
  isDisposition: boolean;
}

export function startStallingProxy(targetPort: number): Promise<StallingProxy> {
  const sockets = new Set<Socket>();
  const held: Held[] = [];
  let stalled: StallDirection | 'none' = 'none';
  let stallsAtDisposition = false;

  const pass = (to: Socket, toBroker: boolean) => (chunk: Buffer) => {
    if (toBroker && stallsAtDisposition && isDispositionFrame(chunk)) {
      stallsAtDisposition = false;
      stalled = 'toBroker';
    }
    const holds = stalled === 'both' || stalled === (toBroker ? 'toBroker' : 'fromBroker');
    if (holds) held.push({ to, chunk, isDisposition: !toBroker && isDispositionFrame(chunk) });
    else to.write(chunk);
  };
  const forward = (from: Socket, to: Socket, toBroker: boolean) => {
    // Bytes go on as whole frames, so that held ones can be put in another order and a
    // client's disposition can be told when it comes.
    from.on('data', wholeFrames(pass(to, toBroker)));
    from.on('close', () => to.destroy());
    from.on('error', () => undefined);
  };

  const server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    forward(inbound, outbound, true);
    forward(outbound, inbound, false);
  });

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : 0,
        stall: (direction = 'both') => {
          stalled = direction;
        },
        stallAtClientDisposition: () => {
          stallsAtDisposition = true;
        },
        resume: (options = {}) => {
          stalled = 'none';
          const all = held.splice(0);
          const later = options.dispositionsLaterMs;
          const now = later === undefined ? all : all.filter((h) => !h.isDisposition);
          for (const { to, chunk } of now) if (!to.destroyed) to.write(chunk);
          if (later === undefined) return;
          setTimeout(() => {
            for (const { to, chunk } of all.filter((h) => h.isDisposition)) {
              if (!to.destroyed) to.write(chunk);
            }
          }, later);
        },
        drop: (options = {}) => {
          held.splice(0);
          stalled = 'none';
          for (const socket of sockets) {
            if (options.reset === true) socket.resetAndDestroy();
            else socket.destroy();
          }
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Cuts an AMQP byte stream into protocol headers (8 bytes, `AMQP…`) and whole frames. */
function wholeFrames(onUnit: (unit: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const isHeader = pending.toString('latin1', 0, 4) === 'AMQP';
      const size = isHeader ? 8 : Math.max(8, pending.readUInt32BE(0));
      if (pending.length < size) return;
      onUnit(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
  };
}

/** An AMQP frame (type 0) whose performative is a disposition (descriptor code 0x15). */
const DISPOSITION_CODE = 0x15;
function isDispositionFrame(unit: Buffer): boolean {
  if (unit.length <= 8 || unit.toString('latin1', 0, 4) === 'AMQP' || unit[5] !== 0) return false;
  const body = unit.subarray((unit[4] ?? 2) * 4);
  if (body[0] !== 0x00) return false;
  if (body[1] === 0x53) return body[2] === DISPOSITION_CODE;
  return (
    body[1] === 0x80 && body.length >= 10 && body.readBigUInt64BE(2) === BigInt(DISPOSITION_CODE)
  );
}
