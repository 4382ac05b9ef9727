import { connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of the emulator whose traffic can be held up: while stalled,
 * bytes in both directions wait in the proxy (a network that stops moving packets without
 * dropping the connection) and go on, in order, once it resumes. `stall('toBroker')` holds
 * only what the clients send, so the broker's deliveries still arrive.
 */
export interface StallingProxy {
  port: number;
  stall(direction?: 'both' | 'toBroker'): void;
  resume(): void;
  close(): Promise<void>;
}

export function startStallingProxy(targetPort: number): Promise<StallingProxy> {
  const sockets = new Set<Socket>();
  const held: { to: Socket; chunk: Buffer }[] = [];
  let stalled: 'none' | 'both' | 'toBroker' = 'none';

  const forward = (from: Socket, to: Socket, toBroker: boolean) => {
    from.on('data', (chunk: Buffer) => {
      if (stalled === 'both' || (stalled === 'toBroker' && toBroker)) held.push({ to, chunk });
      else to.write(chunk);
    });
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
        resume: () => {
          stalled = 'none';
          for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
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
