/**
 * Unhandled rejections that come from the AMQP stack under @azure/service-bus 7.9.5, not from
 * the app. Against a broker that stopped answering and then came back, the SDK leaves promises
 * of its own bookkeeping unhandled:
 * - the close of a batch receiver's link after a receive it cut short, or of a session,
 *   rejects after rhea-promise's fixed 60 s operation timeout;
 * - a session receiver's link that the broker detached (its session lock expired meanwhile)
 *   rejects with rhea's decoded AMQP error, a plain object with `condition` and
 *   `description`, not an Error.
 * The receive loops recover from the outage by themselves, so these must not stop the worker.
 * @returns the fields to log, or undefined for any other rejection (an app's bug).
 */
export function amqpStackRejection(
  reason: unknown,
): { errorName: string; error: string } | undefined {
  if (reason instanceof Error) {
    const closeTimedOut =
      reason.name === 'OperationTimeoutError' &&
      /^Unable to close the ((receiver|sender) '|amqp session )/.test(reason.message) &&
      /[/\\]rhea-promise[/\\]/.test(reason.stack ?? '');
    return closeTimedOut ? { errorName: reason.name, error: reason.message } : undefined;
  }

  const amqpError = reason as { condition?: unknown; description?: unknown } | null;
  if (typeof amqpError !== 'object' || amqpError === null) return undefined;
  const { condition, description } = amqpError;
  if (typeof condition !== 'string' || !/^(amqp|com\.microsoft):/.test(condition)) {
    return undefined;
  }
  const text = typeof description === 'string' ? `: ${description}` : '';
  return { errorName: 'AmqpError', error: `${condition}${text}` };
}
