/**
 * Soak run (issue 7): N real sample orders through worker processes running the order domain
 * on real PostgreSQL, with random function faults (fail before or after the commit, kill -9
 * after the commit, slow), random worker kills and emulator kill -9 restarts from its data
 * folder. Prints lost, applied twice, dead-lettered and rejected counts; exits 1 unless lost
 * = 0 and applied twice = 0.
 *
 *   node dist/benchmarks/soak.js [orders=200] [seed=1]
 */
import { join } from 'node:path';

import { testClient } from '../test/support/emulator';
import { startTestPostgres } from '../test/support/postgres';
import { spawnWorker, type WorkerProcess } from '../test/worker/support';
import { orderMessage, readOrderFacts, sampleOrders, sendAll } from '../test/reliability/orders';
import { seededRandom } from '../test/reliability/hostileBodies';
import {
  freePort,
  isReady,
  readJsonLines,
  RELIABILITY_ORDERS_APP,
  sleep,
  spawnEmulator,
  tempDir,
} from '../test/reliability/support';

const FAULTS = ['', '', '', 'slow:300', 'throwBefore', 'throwAfter', 'crashAfter', 'slow:300'];
const QUEUE = 'soak-orders';
const WORKERS = 2;

interface Applied {
  orderId: string;
  alreadyProcessed: boolean;
}

export async function runSoak(orderCount: number, seed: number): Promise<number> {
  const random = seededRandom(seed);
  const folder = tempDir('soak');
  const effectsFile = join(folder.dir, 'applied.jsonl');
  const postgres = await startTestPostgres();
  const port = await freePort();
  const entities = { queues: [{ name: QUEUE, lockDurationMs: 3000, maxDeliveryCount: 10 }] };
  let emulator = await spawnEmulator(entities, { port, dataDir: join(folder.dir, 'broker') });
  const env = {
    RelConnection: emulator.connectionString,
    REL_QUEUE: QUEUE,
    REL_EFFECTS_FILE: effectsFile,
    DATABASE_URL: postgres.url,
    SHUTDOWN_GRACE_MS: '3000',
  };
  const workers: WorkerProcess[] = [];
  const startWorker = async () => {
    const worker = spawnWorker(RELIABILITY_ORDERS_APP, env);
    workers.push(worker);
    await worker.waitForLine('ready', isReady, 20_000);
  };
  const startedAt = Date.now();
  let workerKills = 0;
  let brokerRestarts = 0;

  try {
    for (let i = 0; i < WORKERS; i += 1) await startWorker();
    const orders = sampleOrders(orderCount);
    // A few undeliverable bodies too, so the rejected count is exercised.
    const client = testClient(emulator.connectionString);
    await sendAll(client.createSender(QUEUE), [
      ...orders.map((o) =>
        orderMessage(o, { fault: FAULTS[Math.floor(random() * FAULTS.length)] ?? '' }),
      ),
      { body: Buffer.from('not an order'), messageId: 'soak-bad-1' },
      { body: Buffer.from('{"type":"Order","version":9}'), messageId: 'soak-bad-2' },
    ]);
    await client.close();

    const ids = new Set(orders.map((o) => o.orderId));
    const done = () => new Set(readJsonLines<Applied>(effectsFile).map((a) => a.orderId));
    const deadline = Date.now() + 120_000 + orderCount * 200;
    for (
      let round = 0;
      Date.now() < deadline && [...ids].some((id) => !done().has(id));
      round += 1
    ) {
      await sleep(500 + random() * 1500);
      const alive = () =>
        workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
      // Keep two workers alive: crashAfter faults and our kills both end processes.
      for (let i = alive().length; i < WORKERS; i += 1) await startWorker();
      const live = alive();
      // The first two rounds always kill a worker, then restart the broker; then chance decides.
      const roll = round === 0 ? 0 : round === 1 ? 0.3 : random();
      if (roll < 0.25 && live[0] !== undefined) {
        live[0].child.kill('SIGKILL');
        workerKills += 1;
      } else if (roll < 0.35) {
        await emulator.kill9();
        await sleep(500);
        emulator = await spawnEmulator(entities, { port, dataDir: join(folder.dir, 'broker') });
        brokerRestarts += 1;
      }
    }
    await sleep(2000);

    const facts = await readOrderFacts(postgres.url);
    const applied = readJsonLines<Applied>(effectsFile).filter((a) => !a.alreadyProcessed);
    const appliedTimes = new Map<string, number>();
    for (const a of applied) appliedTimes.set(a.orderId, (appliedTimes.get(a.orderId) ?? 0) + 1);
    const dlqClient = testClient(emulator.connectionString);
    const dlq = dlqClient.createReceiver(QUEUE, {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const letters = await dlq.receiveMessages(1000, { maxWaitTimeInMs: 2000 });
    await dlq.close();
    await dlqClient.close();
    const deadLettered = new Set(letters.map((m) => String(m.messageId)));

    // Faults hit first deliveries only and the queue allows 10, so no good order may end up
    // dead-lettered: one that did is counted as lost (it never reached the database).
    const lost = [...ids].filter((id) => !facts.orders.has(id));
    const twice = [...appliedTimes].filter(([, n]) => n > 1).map(([id]) => id);
    const figures = {
      orders: orderCount,
      seconds: Math.round((Date.now() - startedAt) / 1000),
      workerKills,
      brokerRestarts,
      crashes: workers.length - WORKERS - workerKills,
      lost: lost.length,
      appliedTwice: twice.length,
      deadLettered: deadLettered.size,
      rejected: facts.rejected.length,
      stockViolations: facts.violations,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    if (lost.length > 0) {
      const parked = lost.filter((id) => deadLettered.has(id));
      process.stdout.write(`lost: ${lost.join(', ')} (dead-lettered: ${parked.length})\n`);
    }
    if (twice.length > 0) process.stdout.write(`applied twice: ${twice.join(', ')}\n`);
    return lost.length === 0 && twice.length === 0 && facts.violations === 0 ? 0 : 1;
  } finally {
    for (const worker of workers)
      if (worker.child.exitCode === null && worker.child.signalCode === null)
        worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await emulator.stop();
    await postgres.destroy();
    folder.remove();
  }
}

if (require.main === module) {
  const orderCount = Number(process.argv[2] ?? 200);
  const seed = Number(process.argv[3] ?? 1);
  runSoak(orderCount, seed).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`soak failed: ${String(error)}\n`);
      process.exit(2);
    },
  );
}
