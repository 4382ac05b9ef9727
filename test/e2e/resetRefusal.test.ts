import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';

import { startTestMainJob } from './support';

/**
 * Starts `sbworker start --reset` against a URL built around a loopback listener's port, and
 * checks that it is refused (the message matching `reason`) with no connection to the listener.
 */
async function assertRefusedBeforeConnecting(
  urlFor: (port: number) => string,
  reason: RegExp,
): Promise<void> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  try {
    await assert.rejects(
      startTestMainJob({ DATABASE_URL: urlFor(port) }, { reset: true }),
      (error: Error & { code?: string }) =>
        error.code === 'InvalidConfiguration' && reason.test(error.message),
    );
    assert.equal(connections, 0, 'no connection before the refusal');
  } finally {
    server.close();
  }
}

describe('sbworker start --reset with a database on another machine', () => {
  it('is refused before any connection to the database is made', async () => {
    // A loopback address spelled so that the reset check does not take it for this machine.
    await assertRefusedBeforeConnecting(
      (port) => `postgres://user:secret@127.000.000.001:${port}/orders`,
      /--reset is refused/,
    );
  });

  it("is refused when a host query parameter points away from the URL's localhost", async () => {
    // pg connects to the host= value, not to the URL's localhost. It is loopback in truth (the
    // test aims at nothing else), spelled so that it is not taken for this machine.
    await assertRefusedBeforeConnecting(
      (port) => `postgres://user:secret@localhost:${port}/orders?host=127.000.000.001`,
      /--reset is refused: DATABASE_URL points to a server on another machine/,
    );
  });
});
