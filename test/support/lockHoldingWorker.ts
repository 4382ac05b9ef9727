/**
 * A worker that takes a stock row's lock and then freezes, for lock-stall tests: run as a child
 * process so that the test can stop it with SIGSTOP, as a frozen dyno would be.
 * argv: <database URL> <sku> <idle-in-transaction limit in ms>. Prints `locked` once it holds
 * the row inside an open transaction.
 */
import { openPostgresDatabase } from '../../src/orders/store/postgresDatabase';
import { silentLogger } from '../../src/shared/logger';
import { sleep } from '../../src/shared/time';

async function main(): Promise<void> {
  const [url, sku, idleText] = process.argv.slice(2);
  if (!url || !sku || !idleText) throw new Error('usage: lockHoldingWorker <url> <sku> <ms>');

  const db = openPostgresDatabase({
    connectionString: url,
    poolSize: 1,
    ssl: false,
    timeouts: { idleInTransactionTimeoutMs: Number(idleText) },
    logger: silentLogger(),
  });
  await db.transaction(async (tx) => {
    await tx.query('SELECT sku FROM stock WHERE sku = $1 FOR UPDATE', [sku]);
    process.stdout.write('locked\n');
    // The test freezes the process here; nothing more is sent on the connection.
    await sleep(120_000);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
