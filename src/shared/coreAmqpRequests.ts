/**
 * @azure/core-amqp 4.4.2's request-response link (the `$cbs` put-token the SDK sends before
 * every link, and `$management` requests: peek, lock renewal, settlement by lock token) fails a
 * pending request when its sender link reports an error, not when the connection drops: the
 * request waits out its timeout, 60 s for a put-token whatever `clientRetryOptions` says. The
 * SDK holds the link's lock meanwhile, and its recovery from the drop waits for that lock. So
 * one drop while links were being authorized stopped every receiver of the client for a
 * minute, with nothing logged (trial CP; the worker's network-cut test failed in CI on it).
 *
 * A request pending when its connection drops now fails at once, with an error the SDK
 * retries as it retried the timeout (or the broker's own error when it closed the connection
 * with one). Installed with the other SDK patches by every part that opens SDK connections;
 * idempotent. No upstream issue about this was found; the patch stays until a release fails
 * such requests.
 */

import { asDropEmitter, type OnDrop, stopWaitingForDrop, waitForDrop } from './connectionDrops';
import { requireRheaFile, sdkCoreAmqp } from './rheaCopies';

type SendRequest = (
  this: unknown,
  request: { message_id?: unknown },
  ...rest: unknown[]
) => unknown;

interface RequestLinkPrototype {
  sendRequest: SendRequest;
  [installed: symbol]: unknown;
}

/** One pending request in the link's table of requests by message id. */
interface PendingRequest {
  cleanupBeforeResolveOrReject?: () => void;
}

const INSTALLED = Symbol.for('sbworker.coreAmqpRequestsFailOnDrop');

export function failRequestsOnDrop(): void {
  const main = sdkCoreAmqp();
  const coreAmqp = requireRheaFile<{ RequestResponseLink?: { prototype?: RequestLinkPrototype } }>(
    main,
  );
  const prototype = coreAmqp.RequestResponseLink?.prototype;
  if (typeof prototype?.sendRequest !== 'function') {
    throw new Error(
      `@azure/core-amqp is not as this release knows it (no RequestResponseLink.sendRequest) ` +
        `in ${main}: the fix that fails a request when its connection drops cannot be ` +
        'installed; use the @azure/core-amqp version that package.json overrides pins',
    );
  }
  if (Object.prototype.hasOwnProperty.call(prototype, INSTALLED)) return;

  const sendRequest = prototype.sendRequest;
  prototype.sendRequest = function (this: unknown, request, ...rest): unknown {
    const connection = asDropEmitter((this as { connection?: unknown }).connection);
    if (connection === undefined) return sendRequest.call(this, request, ...rest);
    // The SDK queues its put-tokens behind one lock: those after a drop go on a dead
    // connection, where no answer and no second drop can come.
    if (isClosed(connection)) return Promise.reject(dropError(undefined, 'before it was sent'));

    // Listening before the request goes: a drop that comes with it still counts.
    let fail: OnDrop = () => undefined;
    const dropped = new Promise<never>((_resolve, reject) => {
      fail = (context) => {
        forgetRequest(this, request.message_id);
        reject(dropError(context, 'before it was answered'));
      };
      waitForDrop(connection, fail);
    });
    const answered = sendRequest.call(this, request, ...rest);
    return Promise.race([answered, dropped]).finally(() => stopWaitingForDrop(connection, fail));
  };
  prototype[INSTALLED] = true;
}

/**
 * Takes the request out of the link's table and stops its timer, as an answer would: else its
 * 60 s timer would keep a finished CLI command's process alive.
 */
function forgetRequest(link: unknown, messageId: unknown): void {
  const responses = (link as { _responsesMap?: unknown })._responsesMap;
  if (!(responses instanceof Map)) return;

  const pending = responses.get(messageId) as PendingRequest | undefined;
  pending?.cleanupBeforeResolveOrReject?.();
  responses.delete(messageId);
}

/** Whether the rhea-promise connection says it is not open (dropped or closed). */
function isClosed(connection: object): boolean {
  const isOpen = (connection as { isOpen?: unknown }).isOpen;
  return typeof isOpen === 'function' && isOpen.call(connection) === false;
}

/**
 * The broker's own error when it closed the connection with one (the SDK reads its condition),
 * else one that says the connection dropped, with the socket's reason, and that a retry may
 * help: core-amqp takes only some socket errors as worth a retry (ECONNRESET, not EPIPE), and the
 * 60 s timeout this replaces was always retried.
 */
function dropError(context: unknown, when: string): unknown {
  const event = context as { error?: unknown; connection?: { error?: unknown } } | undefined;
  const cause = event?.connection?.error ?? event?.error;
  if (typeof (cause as { condition?: unknown } | undefined)?.condition === 'string') return cause;

  const reason = cause instanceof Error ? ` (${cause.message})` : '';
  return Object.assign(new Error(`The connection to Service Bus dropped ${when}${reason}`), {
    retryable: true,
    ...(cause === undefined ? {} : { cause }),
  });
}
