import { errorCode, mostTellingAttempt } from '../shared/attemptErrors';

/**
 * The one line the CLI prints for a failed command. The SDK gives up after its retries with an
 * AggregateError whose own message is empty, so the most telling attempt is the one to show;
 * a `code` (the SDK's, or ours) goes in front because operators search for it, once.
 */
export function describeError(error: unknown): string {
  const shown = mostTellingAttempt(error);
  if (!(shown instanceof Error)) return String(shown);

  const code = errorCode(shown);
  const message = shown.message === '' ? shown.name : shown.message;
  if (code === undefined) return message;
  // Node's system errors already start with their code ("ENOENT: no such file…").
  return message.startsWith(`${code}:`) ? message : `${code}: ${message}`;
}
