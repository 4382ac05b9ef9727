import { app, type InvocationContext } from '@azure/functions';
import { ConfigError } from '../shared/errors';

/** The setting that says how long the simulated work takes, in milliseconds. */
export const SIMULATED_WORK_MS_SETTING = 'SIMULATED_WORK_MS';
export const DEFAULT_SIMULATED_WORK_MS = 200;
/** The longest a Node timer can wait; a longer one would fire at once. */
const MAX_SIMULATED_WORK_MS = 2_147_483_647;

/**
 * Reads the work time from the app settings: unset or empty gives the default.
 *
 * @throws ConfigError (`InvalidConfiguration`) naming the setting when the value is not a
 *   whole number of milliseconds from 0 to 2147483647.
 */
export function simulatedWorkMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[SIMULATED_WORK_MS_SETTING];
  if (text === undefined || text.trim() === '') return DEFAULT_SIMULATED_WORK_MS;

  const value = /^[0-9]+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(value <= MAX_SIMULATED_WORK_MS)) {
    throw new ConfigError(
      `${SIMULATED_WORK_MS_SETTING} must be a whole number of milliseconds ` +
        `(0 to ${MAX_SIMULATED_WORK_MS}); got "${text}"`,
    );
  }
  return value;
}

let workMs = DEFAULT_SIMULATED_WORK_MS;

/**
 * The seed job: logs which message arrived, pretends to work for a while, and finishes, so the
 * host completes the message. Logs say which message and how long; never the body.
 */
export async function simulateWork(message: unknown, context: InvocationContext): Promise<void> {
  context.log(
    `simulateWork received message ${String(context.triggerMetadata?.messageId)} ` +
      `(delivery ${String(context.triggerMetadata?.deliveryCount)}, ` +
      `body type ${describe(message)}); ` +
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

// Read while the app loads, so that an invalid value stops start-up in every host; after the
// registration, as in processOrder.ts, so that Azure's Node.js worker reports it.
workMs = simulatedWorkMs();
