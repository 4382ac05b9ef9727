import { AppError } from '../../shared/errors';
import { UNREACHABLE_NETWORK_CODES } from './networkErrors';

// Network failures of the HTTP pipeline (Node's codes, and the pipeline's own for the rest).
const UNREACHABLE_CODES = new Set([...UNREACHABLE_NETWORK_CODES, 'REQUEST_SEND_ERROR']);

export interface ManagementTarget {
  isEmulator: boolean;
  /** The emulator's management port the request went to. */
  httpPort: number;
  /** Whether `--http-port` was given, or the default was used. */
  httpPortGiven: boolean;
}

/**
 * The administration client's "could not connect" as an operator can act on it: which address
 * was tried and, for the emulator, that `--http-port` picks its management port. Other errors
 * come back unchanged.
 */
export function explainManagementFailure(error: unknown, target: ManagementTarget): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !UNREACHABLE_CODES.has(code)) return error;

  const origin = requestOrigin(error);
  const where = `${origin === undefined ? '' : ` at ${origin}`} (${code})`;
  if (!target.isEmulator) {
    return unreachable(`the Service Bus management endpoint could not be reached${where}`, error);
  }

  const hint = target.httpPortGiven
    ? `check that the emulator runs and that ${target.httpPort} is its management port`
    : `${target.httpPort} is only the default port; pass the emulator's management port with` +
      ' --http-port N';
  return unreachable(
    `the emulator's management API could not be reached${where}; ${hint}` +
      ' (`sbworker emulator` prints it in its ready line)',
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
