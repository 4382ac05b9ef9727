/**
 * The numbers (from 1) of the lines in a `.env` file that the dotenv parser passes over: not
 * blank, not a `#` comment, not an assignment (`NAME=value`, `NAME: value`, with `export` in
 * front or not) and not inside the quotes of an assignment's multi-line value. Such a line
 * sets nothing, and was most likely meant to.
 */
export function skippedDotenvLines(text: string): number[] {
  const lines = text.split(/\r\n?|\n/);
  const skipped: number[] = [];

  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;

    const assignment = ASSIGNMENT.exec(line);
    if (assignment === null) {
      skipped.push(index + 1);
      continue;
    }
    index = lastLineOfValue(lines, index, line.slice(assignment[0].length));
  }
  return skipped;
}

// A name of letters, digits, `_`, `.` or `-`, then `=` (spaces around it allowed) or `: `.
const ASSIGNMENT = /^\s*(?:export\s+)?[\w.-]+(?:\s*=|:\s)/;

/**
 * Where the value that starts after the `=` on line `index` ends: a value in quotes runs to
 * the matching quote, across lines, when only spaces or a comment follow that quote (it may
 * even start on a later line, after blank ones); any other value is the rest of its line.
 */
function lastLineOfValue(lines: string[], index: number, rest: string): number {
  let lineIndex = index;
  let text = rest;
  while (/^\s*$/.test(text) && lineIndex + 1 < lines.length) {
    lineIndex += 1;
    text = lines[lineIndex] ?? '';
  }

  const start = text.search(/\S/);
  const quote = start === -1 ? undefined : text[start];
  if (quote === undefined || !`'"\``.includes(quote)) return index;

  for (let at = lineIndex; at < lines.length; at += 1) {
    const current = at === lineIndex ? text : (lines[at] ?? '');
    const close = closingQuote(current, quote, at === lineIndex ? start + 1 : 0);
    if (close === -1) continue;
    // Text after the closing quote other than a comment makes it a plain one-line value.
    return /^\s*(#.*)?$/.test(current.slice(close + 1)) ? at : index;
  }
  // Never closed: the quote is part of a one-line value.
  return index;
}

/** The position of the first `quote` from `from` that a backslash does not escape, or -1. */
function closingQuote(text: string, quote: string, from: number): number {
  for (let i = from; i < text.length; i += 1) {
    if (text[i] === '\\' && text[i + 1] === quote) i += 1;
    else if (text[i] === quote) return i;
  }
  return -1;
}
