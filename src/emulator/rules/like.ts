/** LIKE patterns turned into anchored regular expressions, cached by pattern and escape. */
const cache = new Map<string, RegExp | null>();
const CACHE_LIMIT = 1000;

/**
 * `%` is any run of characters, `_` any one; the escape character makes the next character
 * literal. null when the pattern ends in an unpaired escape (no match is then possible).
 */
export function compileLikePattern(pattern: string, escape: string | null): RegExp | null {
  const cacheKey = `${escape ?? ''}\u0000${pattern}`;
  const cached = cache.get(cacheKey);
  if (cached !== undefined) return cached;

  const regex = buildRegex(pattern, escape);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(cacheKey, regex);
  return regex;
}

function buildRegex(pattern: string, escape: string | null): RegExp | null {
  let source = '';
  const characters = Array.from(pattern);

  for (let i = 0; i < characters.length; i += 1) {
    const char = characters[i]!;
    if (char === escape) {
      const next = characters[i + 1];
      if (next === undefined) return null;
      source += escapeRegex(next);
      i += 1;
    } else if (char === '%') {
      source += '.*';
    } else if (char === '_') {
      source += '.';
    } else {
      source += escapeRegex(char);
    }
  }

  return new RegExp(`^${source}$`, 'su');
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
