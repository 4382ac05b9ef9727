import { readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Expands package.json `main` the way the Node worker's globby call does for the patterns
 * Functions apps use: `*`, `?`, `**`, `{a,b}` and classes (`[ab]`, `[a-z]`, `[!a]`). Returns
 * paths relative to `rootDir`, sorted, with forward slashes. A pattern without wildcards names
 * one file, which must exist.
 */
export function expandEntryPattern(rootDir: string, pattern: string): string[] {
  const found = new Set<string>();
  for (const alternative of expandBraces(pattern.replace(/^\.\//, ''))) {
    const segments = posix
      .normalize(alternative)
      .split('/')
      .filter((s) => s !== '' && s !== '.');
    walk(rootDir, '', segments, found);
  }
  return [...found].sort();
}

function walk(rootDir: string, relative: string, segments: string[], found: Set<string>): void {
  const [segment, ...rest] = segments;
  if (segment === undefined) {
    if (isFile(join(rootDir, relative))) found.add(relative);
    return;
  }

  if (segment === '**') {
    walk(rootDir, relative, rest, found);
    for (const name of listDirectories(join(rootDir, relative))) {
      walk(rootDir, posix.join(relative, name), segments, found);
    }
    return;
  }

  if (!/[*?[]/.test(segment)) {
    walk(rootDir, posix.join(relative, segment), rest, found);
    return;
  }

  const matcher = segmentMatcher(segment);
  for (const name of listEntries(join(rootDir, relative))) {
    if (matcher.test(name)) walk(rootDir, posix.join(relative, name), rest, found);
  }
}

function segmentMatcher(segment: string): RegExp {
  let source = '';
  for (let index = 0; index < segment.length; index++) {
    const char = segment[index] ?? '';
    const classEnd = char === '[' ? segment.indexOf(']', index + 2) : -1;
    if (classEnd > 0) {
      source += characterClass(segment.slice(index + 1, classEnd));
      index = classEnd;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += escapeRegExp(char);
  }
  // Like globby's default, wildcards do not match names that start with a dot.
  try {
    return new RegExp(`^(?!\\.)${source}$`);
  } catch {
    // A class RegExp refuses (`[z-a]`) matches nothing, as in globby: the caller then says
    // that main matches no files, naming it.
    return MATCHES_NOTHING;
  }
}

const MATCHES_NOTHING = /(?!)/;

/** `[ab]`, `[a-z]`, `[!ab]` or `[^ab]` (the text between the brackets) as a RegExp class. */
function characterClass(body: string): string {
  const negated = body.startsWith('!') || body.startsWith('^');
  const members = (negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&');
  return negated ? `[^/${members}]` : `[${members}]`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

function expandBraces(pattern: string): string[] {
  const match = /\{([^{}]*)\}/.exec(pattern);
  if (match === null) return [pattern];

  const before = pattern.slice(0, match.index);
  const after = pattern.slice(match.index + match[0].length);
  return (match[1] ?? '').split(',').flatMap((option) => expandBraces(before + option + after));
}

function listEntries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function listDirectories(dir: string): string[] {
  return listEntries(dir).filter(
    (name) => !name.startsWith('.') && name !== 'node_modules' && isDirectory(join(dir, name)),
  );
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
