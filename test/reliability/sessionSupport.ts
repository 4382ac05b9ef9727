import { testClient } from '../support/emulator';
import { tempApp } from '../worker/tempApp';
import { onCleanup } from './harness';
import { spawnEmulator } from './support';

/**
 * An app whose one session function on `queueName` runs `handler` (the text of a JavaScript
 * function; by default one that does nothing), with these host.json Service Bus settings.
 */
export function sessionApp(
  name: string,
  queueName: string,
  serviceBus: Record<string, unknown>,
  handler = 'async () => {}',
): string {
  return tempApp({
    'package.json': JSON.stringify({ main: 'index.js' }),
    'host.json': JSON.stringify({ version: '2.0', extensions: { serviceBus } }),
    'index.js': [
      `const { app } = require('@azure/functions');`,
      `app.serviceBusQueue('${name}', { connection: 'SessionConnection',`,
      `  queueName: '${queueName}', isSessionsEnabled: true, handler: ${handler} });`,
    ].join('\n'),
  });
}

/**
 * A session app whose handler logs `handler started` (a user line) and then runs `runMs`, so
 * that a test can change the connection or the entity while a session's handler runs.
 */
export function slowSessionApp(
  name: string,
  queueName: string,
  serviceBus: Record<string, unknown>,
  runMs: number,
): string {
  const handler = `async (message, context) => {
    context.log('handler started');
    await new Promise((resolve) => setTimeout(resolve, ${runMs}));
  }`;
  return sessionApp(name, queueName, serviceBus, handler);
}

/** An emulator process with one session queue, killed at clean-up. */
export async function sessionQueueEmulator(name: string, lockDurationMs: number) {
  const emulator = await spawnEmulator({
    queues: [{ name, requiresSession: true, lockDurationMs }],
  });
  onCleanup(() => emulator.kill9());
  return emulator;
}

/** Sends one message with this id to a session of the queue, through a client of its own. */
export async function sendToSession(
  connectionString: string,
  queue: string,
  messageId: string,
  sessionId: string,
): Promise<void> {
  const client = testClient(connectionString);
  await client.createSender(queue).sendMessages({ body: messageId, messageId, sessionId });
  await client.close();
}
