/**
 * A LIKE pattern split into steps: `any` for `%` (any run), `one` for `_` (one character), or a
 * literal character. Characters are UTF-16 code units, as .NET strings count them: `_` takes
 * one unit, so a character outside the Basic Multilingual Plane needs `__`, and ESCAPE's
 * "string of length 1" is one unit too.
 */
type Step = 'any' | 'one' | { literal: string };

/** Compiled patterns, cached by pattern and escape. */
const cache = new Map<string, Step[] | null>();
const CACHE_LIMIT = 1000;

/**
 * Whether `value` matches the LIKE `pattern`; null when the pattern ends in an unpaired
 * escape (no match is then possible). Runs in O(value × pattern) at worst, without the
 * exponential backtracking a regular expression with several `.*` can fall into.
 */
export function matchLike(value: string, pattern: string, escape: string | null): boolean | null {
  const steps = compileLikePattern(pattern, escape);
  return steps === null ? null : matchSteps(value, steps);
}

function compileLikePattern(pattern: string, escape: string | null): Step[] | null {
  const cacheKey = `${escape ?? ''}\u0000${pattern}`;
  const cached = cache.get(cacheKey);
  if (cached !== undefined) return cached;

  const steps = parsePattern(pattern, escape);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(cacheKey, steps);
  return steps;
}

function parsePattern(pattern: string, escape: string | null): Step[] | null {
  const steps: Step[] = [];

  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern.charAt(i);
    if (char === escape) {
      if (i + 1 >= pattern.length) return null;
      i += 1;
      steps.push({ literal: pattern.charAt(i) });
    } else if (char === '%') {
      // `%%` matches what one `%` does; merging keeps the matcher's work down.
      if (steps[steps.length - 1] !== 'any') steps.push('any');
    } else if (char === '_') {
      steps.push('one');
    } else {
      steps.push({ literal: char });
    }
  }
  return steps;
}

/**
 * Greedy matching that, on a mismatch, only moves the most recent `%` one unit further. An
 * earlier `%` never needs to be revisited: whatever a later `%` skips, it could skip as well.
 */
function matchSteps(value: string, steps: Step[]): boolean {
  let v = 0;
  let s = 0;
  let lastAny = -1;
  let resumeAt = 0;

  while (v < value.length) {
    const step = steps[s];
    if (step === 'any') {
      lastAny = s;
      resumeAt = v;
      s += 1;
    } else if (step !== undefined && (step === 'one' || step.literal === value.charAt(v))) {
      s += 1;
      v += 1;
    } else if (lastAny >= 0) {
      resumeAt += 1;
      v = resumeAt;
      s = lastAny + 1;
    } else {
      return false;
    }
  }

  while (steps[s] === 'any') s += 1;
  return s === steps.length;
}
