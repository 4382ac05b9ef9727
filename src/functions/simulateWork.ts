import { app, type InvocationContext } from '@azure/functions';

/** The setting that says how long the simulated work takes, in milliseconds. */
export const SIMULATED_WORK_MS_SETTING = 'SIMULATED_WORK_MS';
export const DEFAULT_SIMULATED_WORK_MS = 200;

/** Reads the work time from the app settings; a missing or invalid value gives the default. */
export function simulatedWorkMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env[SIMULATED_WORK_MS_SETTING]);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_SIMULATED_WORK_MS;
}

/**
 * The seed job: logs which message arrived, pretends to work for a while, and finishes, so the
 * host completes the message. Logs say which message and how long; never the body.
 */
export async function simulateWork(message: unknown, context: InvocationContext): Promise<void> {
  const workMs = simulatedWorkMs();
  context.log(
    `simulateWork received message ${String(context.triggerMetadata?.messageId)} ` +
      `(delivery ${String(context.triggerMetadata?.deliveryCount)}, body type ${describe(message)}); ` +
      `working for ${workMs} ms`,
  );

  await new Promise((resolve) => setTimeout(resolve, workMs));
  context.log(`simulateWork finished message ${String(context.triggerMetadata?.messageId)}`);
}

function describe(message: unknown): string {
  if (message === null) return 'null';
  if (Array.isArray(message)) return 'array';
  if (Buffer.isBuffer(message)) return 'binary';
  return typeof message;
}

app.serviceBusQueue('simulateWork', {
  connection: 'ServiceBusConnection',
  queueName: 'jobs',
  handler: simulateWork,
});
