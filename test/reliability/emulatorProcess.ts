/**
 * A test-only emulator process: `node --expose-gc emulatorProcess.js <port> <data dir|-> <entities
 * JSON>`. Prints `{"port":N}` when listening. Reads commands on stdin: `heap` answers
 * `{"heapUsed":N}` after a full garbage collection (needs --expose-gc).
 */
import { createInterface } from 'node:readline';

import { startEmulator } from '../../src/emulator';
import { testNamespace, type TestEntities } from '../support/emulator';

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
    // Several passes: weak references and finalizers free more on the second round.
    for (let i = 0; i < 3; i += 1) gc?.();
    process.stdout.write(`${JSON.stringify({ heapUsed: process.memoryUsage().heapUsed })}\n`);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
