/**
 * A test-only emulator process: `node --expose-gc emulatorProcess.js <port> <data dir|-> <entities
 * JSON>`. Prints `{"port":N}` when listening. Reads commands on stdin: `heap` answers
 * `{"heapUsed":N,"liveObjects":{...}}` after a full garbage collection (needs --expose-gc).
 */
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { queryObjects } from 'node:v8';

import { startEmulator } from '../../src/emulator';
import { ConnectionState } from '../../src/emulator/server/connectionState';
import { Consumer } from '../../src/emulator/server/consumer';
import { testNamespace, type TestEntities } from '../support/emulator';

// The classes behind what the broker holds per client: rhea's connection, session and links.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RheaConnection = require('rhea/lib/connection.js') as new () => object;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RheaSession = require('rhea/lib/session.js') as new () => object;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rheaLinks = require('rhea/lib/link.js') as { Sender: Function; Receiver: Function };

const GC_PASSES = 8;

/** Live instances per kind (after GC), and active timers: what a dropped client could leave. */
function liveObjects(): Record<string, number> {
  const count = (ctor: Function) => queryObjects(ctor, { format: 'count' });
  return {
    sockets: count(Socket),
    connections: count(RheaConnection),
    sessions: count(RheaSession),
    links: count(rheaLinks.Sender) + count(rheaLinks.Receiver),
    connectionStates: count(ConnectionState),
    consumers: count(Consumer),
    timers: process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length,
  };
}

async function main(): Promise<void> {
  const [port, dataDir, entitiesJson] = process.argv.slice(2);
  if (port === undefined || dataDir === undefined || entitiesJson === undefined) {
    throw new Error('usage: emulatorProcess <port> <data dir|-> <entities JSON>');
  }
  const entities = JSON.parse(entitiesJson) as TestEntities;
  const emulator = await startEmulator({
    port: Number(port),
    hosts: ['127.0.0.1'],
    namespace: testNamespace(entities),
    ...(dataDir === '-' ? {} : { dataDir }),
  });
  process.stdout.write(`${JSON.stringify({ port: emulator.port })}\n`);

  const gc = (globalThis as { gc?: () => void }).gc;
  createInterface({ input: process.stdin }).on('line', (command) => {
    if (command.trim() !== 'heap') return;
    // Counting walks the heap after its own collection; the heap figure comes after it. V8
    // drops the bytecode of functions unused for 5 full collections (--bytecode-old-age), so
    // a figure after fewer would depend on how many collections ran since, not on the load.
    const live = liveObjects();
    for (let i = 0; i < GC_PASSES; i += 1) gc?.();
    const answer = { heapUsed: process.memoryUsage().heapUsed, liveObjects: live };
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
