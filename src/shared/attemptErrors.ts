/**
 * The SDK gives up after its retries with an AggregateError that has no code and an empty
 * message; its `errors` are the attempts. The most telling attempt is the last one that carries
 * a code and a message (a refusal such as UnauthorizedAccess says the same every time), else
 * the last one. Nested aggregates are unwrapped the same way; anything else comes back as is.
 */
export function mostTellingAttempt(error: unknown): unknown {
  if (!(error instanceof AggregateError) || error.errors.length === 0) return error;

  const attempts = error.errors.map(mostTellingAttempt);
  const telling = attempts.filter(hasCodeAndMessage);
  return telling[telling.length - 1] ?? attempts[attempts.length - 1];
}

/** The error's own `code` when it is a non-empty string (the SDK's, Node's or ours). */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function hasCodeAndMessage(error: unknown): boolean {
  return error instanceof Error && errorCode(error) !== undefined && error.message !== '';
}
