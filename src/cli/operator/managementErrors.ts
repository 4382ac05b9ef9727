import { foreignErrorCode } from '../../shared/errorCodes';
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
 * AMQP commands use, each naming the management endpoint that was asked (host and port): an
 * unreachable one with where the connection came from; a missing entity or a refused key as
 * `MessagingEntityNotFound` and `UnauthorizedAccess`; any other answer under its own code. An
 * emulator's management port is not in the connection string, so when `--http-port` was left
 * out every failure says that 5300 was only the default: whatever answers there may be another
 * program, or another emulator.
 */
export function explainManagementFailure(error: unknown, target: ManagementTarget): unknown {
  const { connection } = target;
  const code = (error as { code?: unknown } | null)?.code;
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  const message = error instanceof Error ? error.message.replace(/\.?$/, '.') : '';
  const origin = requestOrigin(error) ?? expectedOrigin(target);
  const asked = `management API asked at ${origin}${defaultPortHint(target, ', where ')}`;

  if (statusCode === 404 && error instanceof Error) {
    const hint = connection.isEmulator
      ? ' (An emulator has only the entities of its --config file and those created through' +
        ' its management API.)'
      : '';
    return new AppError('MessagingEntityNotFound', `${message}${hint} (${asked})`, {
      cause: error,
    });
  }
  if (statusCode === 401 && error instanceof Error) {
    const where = `the connection string ${connectionSourcePhrase(connection)}`;
    return new AppError(
      'UnauthorizedAccess',
      `${message} (${where}, for ${connection.endpoint}; ${asked})`,
      { cause: error },
    );
  }
  if (typeof code !== 'string' || !UNREACHABLE_CODES.has(code)) {
    if (!(error instanceof Error)) return error;
    // An answer stats cannot use: the SDK's own code when it gave one of Service Bus's.
    const sdkCode =
      typeof code === 'string' && /^[A-Z][A-Za-z]+$/.test(code)
        ? foreignErrorCode(code)
        : undefined;
    return new AppError(sdkCode ?? 'GeneralError', `${message} (${asked})`, { cause: error });
  }

  // A server that took the connection and stayed silent is there but stuck, not missing.
  const silent = code === 'ETIMEDOUT' && error instanceof Error ? `: ${error.message}` : '';
  const where = ` at ${origin} (${code}${silent})`;
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
    ? `check that the emulator runs and that ${target.httpPort} is its management port` +
      ' (`sbworker emulator` prints it in its ready line)'
    : defaultPortHint(target, '');
  return unreachable(
    `the emulator's management API could not be reached${where}; ${hint}${source}`,
    error,
  );
}

/**
 * For an emulator asked on the default port: that it was only the default, and the flag.
 * @param lead put before the hint when there is one.
 */
function defaultPortHint(target: ManagementTarget, lead: string): string {
  if (!target.connection.isEmulator || target.httpPortGiven) return '';
  return (
    `${lead}${target.httpPort} is only the default port; pass the emulator's management port` +
    ' with --http-port N (`sbworker emulator` prints it in its ready line)'
  );
}

/** Where the request went when the error does not carry it: as the admin client sends it. */
function expectedOrigin(target: ManagementTarget): string {
  const host = target.connection.endpoint.replace(/^sb:\/\//, '');
  if (!target.connection.isEmulator) return `https://${host}`;
  const url = new URL(`http://${host}`);
  url.port = String(target.httpPort);
  return url.origin;
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
