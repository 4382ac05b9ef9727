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
