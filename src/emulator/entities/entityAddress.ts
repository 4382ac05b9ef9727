import type { MessageStore } from '../store/messageStore';

/** Drops every message of removed stores from the journal, so a later namesake starts empty. */
export function purgeRemovedStores(stores: readonly MessageStore[]): void {
  for (const store of stores) {
    for (const message of store.peek(1, store.size, null)) store.remove(message);
  }
}

/**
 * `sb://host/path`, `amqps://host:1/path` or `path` → lower-case `path` without slashes at ends.
 */
export function normalizeAddress(address: string): string {
  let path = address.trim();
  const scheme = path.indexOf('://');
  if (scheme >= 0) {
    const slash = path.indexOf('/', scheme + 3);
    path = slash >= 0 ? path.slice(slash + 1) : '';
  }
  return path.replace(/^\/+|\/+$/g, '').toLowerCase();
}
