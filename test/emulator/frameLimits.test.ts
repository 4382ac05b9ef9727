import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

const SASL_HEADER = Buffer.from('AMQP\x03\x01\x00\x00', 'latin1');
const CHUNK = Buffer.alloc(1024 * 1024, 0x41);
const SEND_LIMIT_BYTES = 64 * 1024 * 1024;

interface Flood {
  closedByServer: boolean;
  bytesWritten: number;
  elapsedMs: number;
}

/** Writes `prefix`, then 1 MB chunks until the server closes the socket or 64 MB went out. */
function flood(port: number, prefix: Buffer): Promise<Flood> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    let closed = false;
    let bytesWritten = 0;
    const finish = () => {
      resolve({ closedByServer: closed, bytesWritten, elapsedMs: Date.now() - startedAt });
      socket.destroy();
    };
    const socket: Socket = connect(port, '127.0.0.1');
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });

    const pump = () => {
      while (!closed && bytesWritten < SEND_LIMIT_BYTES) {
        bytesWritten += CHUNK.length;
        if (!socket.write(CHUNK)) return void socket.once('drain', pump);
      }
      if (!closed) setTimeout(finish, 1000);
    };
    socket.once('connect', () => {
      socket.write(prefix);
      pump();
    });
    setTimeout(finish, 10_000).unref();
  });
}

describe('emulator incoming frame size limit', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({ queues: ['frames-survive'] });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('closes a connection at a frame header claiming 4 GB and keeps serving others', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const hugeFrame = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00, 0x00]);

    const result = await flood(emulator.port, Buffer.concat([SASL_HEADER, hugeFrame]));

    assert.ok(result.closedByServer, `not closed after ${result.bytesWritten} bytes`);
    assert.ok(result.elapsedMs < 5000, `closed after ${result.elapsedMs} ms`);
    const grownBytes = process.memoryUsage().arrayBuffers - before;
    assert.ok(grownBytes < 16 * 1024 * 1024, `buffers grew by ${grownBytes} bytes`);

    const sender = client.createSender('frames-survive');
    await sender.sendMessages({ body: 'still-served' });
    const receiver = client.createReceiver('frames-survive', { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.deepEqual(
      got.map((m) => m.body),
      ['still-served'],
    );
  });

  it('closes a connection that sends random bytes after a valid header at once', async () => {
    const garbage = Buffer.alloc(4096, 0xab);

    const result = await flood(emulator.port, Buffer.concat([SASL_HEADER, garbage]));

    assert.ok(result.closedByServer, `not closed after ${result.bytesWritten} bytes`);
    assert.ok(result.elapsedMs < 5000, `closed after ${result.elapsedMs} ms`);
  });
});
