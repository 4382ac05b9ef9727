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
