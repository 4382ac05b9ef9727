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
});
