/**
 * The one line the CLI prints for a failed command. The SDK gives up after its retries with an
 * AggregateError whose own message is empty, so the last attempt's error is the one to show;
 * a `code` (the SDK's, or ours) goes in front because operators search for it, once.
 */
export function describeError(error: unknown): string {
  const last = lastAttempt(error);
  if (!(last instanceof Error)) return String(last);

  const code = (last as { code?: unknown }).code;
  const message = last.message === '' ? last.name : last.message;
  if (typeof code !== 'string' || code === '') return message;
  // Node's system errors already start with their code ("ENOENT: no such file…").
  return message.startsWith(`${code}:`) ? message : `${code}: ${message}`;
}

function lastAttempt(error: unknown): unknown {
  let current = error;
  while (current instanceof AggregateError && current.errors.length > 0) {
    current = current.errors[current.errors.length - 1];
  }
  return current;
}
