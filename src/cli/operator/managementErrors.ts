import { AppError } from '../../shared/errors';
import { connectionSourcePhrase, type OperatorConnection } from './connection';
import { UNREACHABLE_NETWORK_CODES } from './networkErrors';

// Network failures of the HTTP pipeline (Node's codes, and the pipeline's own for the rest).
const UNREACHABLE_CODES = new Set([...UNREACHABLE_NETWORK_CODES, 'REQUEST_SEND_ERROR']);

export interface ManagementTarget {
  /** The connection the command resolved: where it came from, and whether it is an emulator. */
  connection: Pick<OperatorConnection, 'source' | 'configured' | 'isEmulator' | 'endpoint'>;
  /** The emulator's management port the request went to. */
  httpPort: number;
  /** Whether `--http-port` was given, or the default was used. */
  httpPortGiven: boolean;
}

/**
 * The administration client's failures as an operator can act on them, under the codes the
 * AMQP commands use: which address was tried and where the connection came from, for the
 * emulator that `--http-port` picks its management port; a missing entity or a refused key as
 * `MessagingEntityNotFound` and `UnauthorizedAccess`. Other errors come back unchanged.
 */
export function explainManagementFailure(error: unknown, target: ManagementTarget): unknown {
  const { connection } = target;
  const code = (error as { code?: unknown } | null)?.code;
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  const message = error instanceof Error ? error.message.replace(/\.?$/, '.') : '';

  if (statusCode === 404 && error instanceof Error) {
    const hint = connection.isEmulator
      ? ' (An emulator has only the entities of its --config file and those created through' +
        ' its management API.)'
      : '';
    return new AppError('MessagingEntityNotFound', `${message}${hint}`, { cause: error });
  }
  if (statusCode === 401 && error instanceof Error) {
    const where = `the connection string ${connectionSourcePhrase(connection)}`;
    return new AppError('UnauthorizedAccess', `${message} (${where}, for ${connection.endpoint})`, {
      cause: error,
    });
  }
  if (typeof code !== 'string' || !UNREACHABLE_CODES.has(code)) return error;

  const origin = requestOrigin(error);
  // A server that took the connection and stayed silent is there but stuck, not missing.
  const silent = code === 'ETIMEDOUT' && error instanceof Error ? `: ${error.message}` : '';
  const where = `${origin === undefined ? '' : ` at ${origin}`} (${code}${silent})`;
  const source = connection.configured
    ? `; the connection string is ${connectionSourcePhrase(connection)}`
    : '; no connection is configured, so the local emulator was tried';
  if (!connection.isEmulator) {
    return unreachable(
      `the Service Bus management endpoint could not be reached${where}${source}`,
      error,
    );
  }

  const hint = target.httpPortGiven
    ? `check that the emulator runs and that ${target.httpPort} is its management port`
    : `${target.httpPort} is only the default port; pass the emulator's management port with` +
      ' --http-port N';
  return unreachable(
    `the emulator's management API could not be reached${where}; ${hint}` +
      ` (\`sbworker emulator\` prints it in its ready line)${source}`,
    error,
  );
}

function unreachable(message: string, cause: unknown): AppError {
  return new AppError('ServiceCommunicationProblem', message, { retryable: true, cause });
}

/** `http://host:port` of the failed request, without path or query. */
function requestOrigin(error: unknown): string | undefined {
  const url = (error as { request?: { url?: unknown } }).request?.url;
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
