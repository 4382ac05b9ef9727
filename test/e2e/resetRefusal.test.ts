import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';

import { startTestMainJob } from './support';

describe('sbworker start --reset with a database on another machine', () => {
  it('is refused before any connection to the database is made', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    // A loopback address spelled so that the reset check does not take it for this machine.
    const url = `postgres://user:secret@127.000.000.001:${port}/orders`;

    try {
      await assert.rejects(
        startTestMainJob({ DATABASE_URL: url }, { reset: true }),
        (error: Error & { code?: string }) =>
          error.code === 'InvalidConfiguration' && /--reset is refused/.test(error.message),
      );
      assert.equal(connections, 0);
    } finally {
      server.close();
    }
  });

  it("is refused when a host query parameter points away from the URL's localhost", async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    // pg connects to the host= value, not to the URL's localhost. It is loopback in truth (the
    // test aims at nothing else), spelled so that it is not taken for this machine.
    const url = `postgres://user:secret@localhost:${port}/orders?host=127.000.000.001`;

    try {
      await assert.rejects(
        startTestMainJob({ DATABASE_URL: url }, { reset: true }),
        (error: Error & { code?: string }) =>
          error.code === 'InvalidConfiguration' && /another machine/.test(error.message),
      );
      assert.equal(connections, 0, 'no connection before the refusal');
    } finally {
      server.close();
    }
  });
});
