/**
 * The `extensions.serviceBus` keys the worker reads (lower case), with the extension 4.x
 * names it maps. Any other key there is either a setting only the Functions host applies
 * (`transportType`, `webProxy`, `maxConcurrentCallsPerSession`, …) or a typo; the host says
 * nothing of either, but a worker that quietly runs without it surprises more than a warning.
 */
const APPLIED_KEYS = new Set(
  [
    'prefetchCount',
    'maxConcurrentCalls',
    'maxConcurrentSessions',
    'maxAutoLockRenewalDuration',
    'autoCompleteMessages',
    'maxMessageBatchSize',
    'minMessageBatchSize',
    'maxBatchWaitTime',
    'sessionIdleTimeout',
    'clientRetryOptions.mode',
    'clientRetryOptions.tryTimeout',
    'clientRetryOptions.delay',
    'clientRetryOptions.maxDelay',
    'clientRetryOptions.maxRetries',
    'messageHandlerOptions.maxConcurrentCalls',
    'messageHandlerOptions.maxAutoRenewDuration',
    'messageHandlerOptions.autoComplete',
    'sessionHandlerOptions.maxConcurrentSessions',
    'sessionHandlerOptions.maxAutoRenewDuration',
    'sessionHandlerOptions.autoComplete',
    'sessionHandlerOptions.messageWaitTime',
    'batchOptions.maxMessageCount',
    'batchOptions.autoComplete',
  ].map((key) => key.toLowerCase()),
);

/**
 * Keys under `extensions.serviceBus` (in a tree with lower-cased keys) that the worker does
 * not apply, as they were written (`spellings`: lower-cased path to the key as written).
 */
export function unappliedServiceBusKeys(
  serviceBus: unknown,
  spellings: ReadonlyMap<string, string>,
): string[] {
  const base = 'extensions.servicebus';
  const found: string[] = [];
  const visit = (node: unknown, path: string): void => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      if (!APPLIED_KEYS.has(path)) found.push(written(`${base}.${path}`, spellings));
      return;
    }
    for (const [key, inner] of Object.entries(node)) {
      visit(inner, path === '' ? key : `${path}.${key}`);
    }
  };
  if (typeof serviceBus === 'object' && serviceBus !== null) visit(serviceBus, '');
  return found;
}

/** A lower-cased path as it was written, key by key, where known. */
function written(path: string, spellings: ReadonlyMap<string, string>): string {
  const keys = path.split('.');
  return keys.map((key, i) => spellings.get(keys.slice(0, i + 1).join('.')) ?? key).join('.');
}
