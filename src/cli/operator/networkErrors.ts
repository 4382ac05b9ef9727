/**
 * What Node's socket and DNS layers say when nothing answers. The SDKs pass these on (the AMQP
 * client as a GeneralError whose message starts with the code); the CLI translates them into
 * one "could not reach" error that says where it looked.
 */
export const UNREACHABLE_NETWORK_CODES: readonly string[] = [
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
];

/**
 * The SDK's own words (a plain Error, no code) when the connection ends without an error, as
 * when the network or the broker closes it without a reset, while a receive waits.
 */
const CLOSED_WHILE_RECEIVING =
  'Unknown error occurred on the AMQP connection while receiving messages.';

/** The label that a "could not reach" error gives such a connection end. */
export function closedConnectionLabel(error: unknown): string | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== undefined) {
    return undefined;
  }
  return error.message === CLOSED_WHILE_RECEIVING ? 'connection closed' : undefined;
}
