/**
 * Runs an emulator in a child process for tests that must kill it (`kill -9` durability).
 * argv: <data dir> <test-entities JSON>. Prints one JSON line `{"port":N}` when listening.
 */
import { startTestEmulator, type TestEntities } from './emulator';

async function main(): Promise<void> {
  const [dataDir, entitiesJson] = process.argv.slice(2);
  if (!dataDir || !entitiesJson) throw new Error('usage: emulatorChild <data dir> <entities JSON>');
  const emulator = await startTestEmulator(JSON.parse(entitiesJson) as TestEntities, { dataDir });
  process.stdout.write(`${JSON.stringify({ port: emulator.port })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
