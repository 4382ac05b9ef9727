/**
 * Azure's naming rules for what the project creates or names: Service Bus queues and topics,
 * subscriptions, and Functions. A name these refuse works nowhere in Azure, so it is refused
 * locally too.
 */
const ENTITY_NAME = /^[A-Za-z0-9](?:[\w.\-/]{0,258}[A-Za-z0-9])?$/;
// A queue or topic path segment named Subscriptions would read as a subscription's address.
const RESERVED_SEGMENT = /(^|\/)subscriptions(\/|$)/i;
export const ENTITY_NAME_RULE =
  '1-260 letters, digits, ".", "-", "_", "/", starting and ending with a letter or digit, ' +
  'with no "Subscriptions" segment';

/** A queue or topic name (a path of segments) as Azure allows it. */
export function isValidEntityName(name: string): boolean {
  return ENTITY_NAME.test(name) && !RESERVED_SEGMENT.test(name);
}

/** A queue's or subscription's dead-letter sub-queue, by the SDK's `subQueueType` names. */
export type SubQueue = 'deadLetter' | 'transferDeadLetter';

/** How Service Bus addresses each sub-queue below its queue or subscription. */
export const SUB_QUEUE_SUFFIX: Readonly<Record<SubQueue, string>> = {
  deadLetter: '/$DeadLetterQueue',
  transferDeadLetter: '/$Transfer/$DeadLetterQueue',
};

// The service matches these in any case; its docs write `$deadletterqueue`, the SDKs
// `$DeadLetterQueue`.
const SUB_QUEUE_PATH = /^(.*?)\/\$(transfer\/\$)?deadletterqueue$/i;

/**
 * A receive path split into its queue or subscription and the dead-letter sub-queue it ends in,
 * if any: `orders/$DeadLetterQueue` is `orders` and `deadLetter`.
 */
export function splitSubQueue(path: string): { entity: string; subQueue?: SubQueue } {
  const match = SUB_QUEUE_PATH.exec(path);
  if (match === null) return { entity: path };
  return {
    entity: match[1] ?? '',
    subQueue: match[2] === undefined ? 'deadLetter' : 'transferDeadLetter',
  };
}

export const SUBSCRIPTION_NAME = /^[A-Za-z0-9](?:[\w.-]{0,48}[A-Za-z0-9])?$/;
export const SUBSCRIPTION_NAME_RULE =
  '1-50 letters, digits, ".", "-", "_", starting and ending with a letter or digit';

/** The Functions host's rule (`host` is reserved). */
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/;
export const FUNCTION_NAME_RULE =
  'a letter, then up to 127 letters, digits, "_" or "-", and not "host"';

export function isValidFunctionName(name: string): boolean {
  return FUNCTION_NAME.test(name) && name.toLowerCase() !== 'host';
}
