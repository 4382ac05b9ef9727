import { connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of the emulator whose traffic can be held up: while stalled,
 * bytes in both directions wait in the proxy (a network that stops moving packets without
 * dropping the connection) and go on, in order, once it resumes.
 */
export interface StallingProxy {
  port: number;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export function startStallingProxy(targetPort: number): Promise<StallingProxy> {
  const sockets = new Set<Socket>();
  const held: { to: Socket; chunk: Buffer }[] = [];
  let stalled = false;

  const forward = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (stalled) held.push({ to, chunk });
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
    forward(inbound, outbound);
    forward(outbound, inbound);
  });

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : 0,
        stall: () => {
          stalled = true;
        },
        resume: () => {
          stalled = false;
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
