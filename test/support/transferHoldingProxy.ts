import { connect, createServer, type Socket } from 'node:net';

/** Descriptor codes of the AMQP 1.0 performatives looked at (part 2.7). */
const FLOW = 0x13;
const TRANSFER = 0x14;
const PROTOCOL_HEADER_BYTES = 8;

/**
 * A loopback TCP proxy in front of the emulator that can make a receive end the way it does on
 * a loaded machine: the broker's transfer reaches the client only after the client has given up
 * waiting and sent its drain (its next flow), and the broker's answer to that drain comes
 * `holdMs` later. Frames are forwarded whole and in order.
 */
export interface TransferHoldingProxy {
  port: number;
  /** Applies to the next transfer from the broker whose bytes include `marker` (a message id). */
  lateTransferThenHold(marker: string, holdMs: number): void;
  close(): Promise<void>;
}

export function startTransferHoldingProxy(targetPort: number): Promise<TransferHoldingProxy> {
  const sockets = new Set<Socket>();
  let armed: { marker: Buffer; holdMs: number } | undefined;

  const server = createServer((client) => {
    const broker = connect(targetPort, '127.0.0.1');
    for (const socket of [client, broker]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => broker.destroy());
    broker.on('close', () => client.destroy());

    // held: what the broker sent since the armed transfer; the transfer waits for a flow.
    let held: Buffer[] | undefined;
    let holdMs = 0;
    const release = (frames: Buffer[]): void => {
      for (const frame of frames) if (!client.destroyed) client.write(frame);
    };
    frames(client, (frame) => {
      broker.write(frame);
      if (held === undefined || performative(frame) !== FLOW) return;
      const [transfer, ...rest] = held;
      release(transfer ? [transfer] : []);
      held = rest;
      setTimeout(() => {
        release(held ?? []);
        held = undefined;
      }, holdMs);
    });
    frames(broker, (frame) => {
      if (held !== undefined) {
        held.push(frame);
        return;
      }
      if (armed && performative(frame) === TRANSFER && frame.includes(armed.marker)) {
        held = [frame];
        holdMs = armed.holdMs;
        armed = undefined;
        return;
      }
      client.write(frame);
    });
  });

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : 0,
        lateTransferThenHold: (marker, ms) => {
          armed = { marker: Buffer.from(marker), holdMs: ms };
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

/** Calls `onFrame` with each whole protocol header or frame that `socket` reads. */
function frames(socket: Socket, onFrame: (frame: Buffer) => void): void {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (let frame = nextFrame(pending); frame; frame = nextFrame(pending)) {
      pending = pending.subarray(frame.length);
      onFrame(frame);
    }
  });
}

function nextFrame(buffer: Buffer): Buffer | undefined {
  if (buffer.length < PROTOCOL_HEADER_BYTES) return undefined;
  const size =
    buffer.toString('latin1', 0, 4) === 'AMQP' ? PROTOCOL_HEADER_BYTES : buffer.readUInt32BE(0);
  return buffer.length >= size ? buffer.subarray(0, size) : undefined;
}

/** The descriptor code of an AMQP frame's performative; undefined for anything else. */
function performative(frame: Buffer): number | undefined {
  const bodyAt = (frame[4] ?? 2) * 4;
  if (frame.length < 8 || frame[5] !== 0 || frame[bodyAt] !== 0x00) return undefined;
  // smallulong (0x53) or ulong (0x80) descriptor
  if (frame[bodyAt + 1] === 0x53) return frame[bodyAt + 2];
  return frame[bodyAt + 1] === 0x80 ? frame[bodyAt + 9] : undefined;
}
