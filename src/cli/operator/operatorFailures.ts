import type { ServiceBusClient } from '@azure/service-bus';

import { sdkConnectionStringRefusal, tlsToPlainListener } from '../../shared/connectionString';
import { AppError, isAppError } from '../../shared/errors';
import { errorCode, mostTellingAttempt } from '../../shared/attemptErrors';
import { createOperatorClient } from './clients';
import { connectionSourcePhrase, type OperatorConnection } from './connection';
import type { EntityAddress } from './entityAddress';
import { closedConnectionLabel, UNREACHABLE_NETWORK_CODES } from './networkErrors';
import { UsageError } from './usageError';
import { closeWithinBound } from './waitBounds';

export interface OperatorClientOptions {
  /** The queue, topic or subscription the command reads from, for a hint when it is missing. */
  readsFrom?: EntityAddress;
  /**
   * True when the command stops at once and exits without waiting for the broker to answer
   * the client's close, which a broker that stopped answering never does.
   */
  exitsWithoutClose?: () => boolean;
}

/**
 * Runs `work` with an SDK client for the connection and closes it afterwards. The SDK's
 * errors are made actionable here, once: a broker that does not answer names the address and
 * where the connection came from, and a topic given where a queue or subscription is read
 * says how to read it.
 */
export async function withOperatorClient<T>(
  connection: OperatorConnection,
  work: (client: ServiceBusClient) => Promise<T>,
  options: OperatorClientOptions = {},
): Promise<T> {
  let client: ServiceBusClient;
  try {
    client = createOperatorClient(connection.connectionString);
  } catch (error) {
    const where = connectionSourcePhrase(connection);
    throw sdkConnectionStringRefusal(error, connection.connectionString, where);
  }
  try {
    return await work(client);
  } catch (error) {
    throw await explainFailure(error, client, connection, options.readsFrom);
  } finally {
    if (options.exitsWithoutClose?.() === true) client.close().catch(() => undefined);
    else await closeWithinBound(client);
  }
}

async function explainFailure(
  error: unknown,
  client: ServiceBusClient,
  connection: OperatorConnection,
  readsFrom: EntityAddress | undefined,
): Promise<unknown> {
  if (isAppError(error)) return error;

  const unreachable = unreachableCode(error);
  if (unreachable !== undefined) return unreachableError(unreachable, connection, error);

  const attempt = mostTellingAttempt(error);
  const code = errorCode(attempt);
  if (code === 'MessagingEntityNotFound' && readsFrom?.kind === 'queueOrTopic') {
    const explained = notFoundError(
      error as Error,
      readsFrom.name,
      await sendProbe(client, readsFrom.name),
    );
    return explained === error ? missingOnEmulator(attempt, connection, error) : explained;
  }
  if (code === 'MessagingEntityNotFound') {
    const named = spelledAsGiven(attempt, error, readsFrom);
    return named === undefined
      ? missingOnEmulator(attempt, connection, error)
      : missingOnEmulator(named, connection, named);
  }
  if (code === 'UnauthorizedAccess' && attempt instanceof Error) {
    const source = connectionSourcePhrase(connection);
    const where = `the connection string ${source}, for ${connection.endpoint}`;
    return new AppError('UnauthorizedAccess', `${attempt.message} (${where})`, { cause: error });
  }
  if (isTimeout(attempt, code)) {
    // The SDK's text says only that time ran out; an operator needs to know where it waited.
    const text = (attempt as Error).message.replace(/\.?$/, '');
    return new AppError(
      'ServiceTimeout',
      `${text}: ${connection.endpoint} took the connection but did not answer in time (the` +
        ` connection string ${connectionSourcePhrase(connection)}); a broker that is stopped or` +
        ' overloaded, or a network that drops packets',
      { retryable: true, cause: error },
    );
  }
  const tls = tlsToPlainListener(attempt instanceof Error ? attempt.message : '', {
    ...connection,
    source: connectionSourcePhrase(connection),
  });
  if (tls !== undefined) {
    return new AppError('ServiceCommunicationProblem', tls, { retryable: false, cause: error });
  }
  return error;
}

/**
 * The SDK writes a subscription's path as `<topic>/Subscriptions/<name>`, and the broker's
 * not-found text echoes that; the operator's own spelling is what they will look for.
 */
function spelledAsGiven(
  attempt: unknown,
  error: unknown,
  readsFrom: EntityAddress | undefined,
): AppError | undefined {
  if (readsFrom?.kind !== 'subscription' || !(attempt instanceof Error)) return undefined;
  const sdkPath = `'${readsFrom.topic}/Subscriptions/${readsFrom.subscription}`;
  const at = attempt.message.toLowerCase().indexOf(sdkPath.toLowerCase());
  if (at === -1) return undefined;

  const message =
    attempt.message.slice(0, at) +
    `'${readsFrom.display}` +
    attempt.message.slice(at + sdkPath.length);
  return new AppError('MessagingEntityNotFound', message, { cause: error });
}

/** An emulator holds only what its config and management API created; the SDK cannot say so. */
function missingOnEmulator(
  attempt: unknown,
  connection: OperatorConnection,
  error: unknown,
): unknown {
  if (!connection.isEmulator || !(attempt instanceof Error)) return error;
  return new AppError(
    'MessagingEntityNotFound',
    `${attempt.message.replace(/\.?$/, '.')} (An emulator has only the entities of its --config` +
      ' file and those created through its management API.)',
    { cause: error },
  );
}

/**
 * The SDK's timeouts: ServiceTimeout from most operations, and a plain Error with no code when
 * the connection does not open for a sender's batch ("Unable to open the amqp connection …
 * due to operation timeout.").
 */
function isTimeout(attempt: unknown, code: string | undefined): boolean {
  if (!(attempt instanceof Error)) return false;
  if (code === 'ServiceTimeout' || attempt.name === 'OperationTimeoutError') return true;
  return code === undefined && /due to operation timeout\.?$/.test(attempt.message);
}

function unreachableCode(thrown: unknown): string | undefined {
  // After its retries the SDK rejects with an AggregateError of the attempts.
  const error = mostTellingAttempt(thrown);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE_NETWORK_CODES.includes(code)) return code;
  const closed = closedConnectionLabel(error);
  if (closed !== undefined) return closed;

  // The SDK passes a socket's error on as a GeneralError: "GeneralError: ECONNRESET: read …".
  const message = (error instanceof Error ? error.message : '').replace(/^GeneralError: /, '');
  return UNREACHABLE_NETWORK_CODES.find((known) => message.startsWith(`${known}:`));
}

function unreachableError(code: string, connection: OperatorConnection, cause: unknown): AppError {
  const message = connection.configured
    ? `could not reach ${connection.endpoint} (${code}), the endpoint of the connection` +
      ` string ${connection.source === '--connection-string' ? 'given with' : 'in'}` +
      ` ${connection.source}`
    : `could not reach the local emulator at ${connection.endpoint.replace(/^sb:\/\//, '')}` +
      ` (${code}); no connection is configured: start one with \`sbworker emulator\`, set` +
      ' ServiceBusConnection, or pass --connection-string';
  return new AppError('ServiceCommunicationProblem', message, { retryable: true, cause });
}

type SendProbe = 'attached' | 'notFound' | 'unknown';

/**
 * A queue or topic name that cannot be read from. When the same name takes a sender, it is a
 * topic: its messages are in its subscriptions, so the command line was wrong (exit code 2).
 * When it cannot be sent to either, nothing has the name; when the probe could not tell (no
 * Send right), the error says how a topic is read.
 */
function notFoundError(error: Error, name: string, probe: SendProbe): unknown {
  const subscriptionPath = `${name}/subscriptions/<name>`;
  if (probe === 'attached') {
    return new UsageError(
      `'${name}' is a topic, which holds no messages itself: read one of its subscriptions,` +
        ` ${subscriptionPath}`,
    );
  }
  if (probe === 'notFound') return error;
  return new AppError(
    'MessagingEntityNotFound',
    `${error.message.replace(/\.?$/, '.')} (A topic is read through its subscriptions:` +
      ` ${subscriptionPath}.)`,
    { cause: error },
  );
}

/** Whether a sender link to the entity attaches; the SDK attaches it for a batch. */
async function sendProbe(client: ServiceBusClient, name: string): Promise<SendProbe> {
  const sender = client.createSender(name);
  try {
    await sender.createMessageBatch();
    return 'attached';
  } catch (error) {
    const code = errorCode(mostTellingAttempt(error));
    return code === 'MessagingEntityNotFound' ? 'notFound' : 'unknown';
  } finally {
    await sender.close().catch(() => undefined);
  }
}
