import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/**
 * A config file's text as strict JSON: no comments, no trailing commas, so a file that loads
 * here stays plain JSON for Microsoft's emulator and any other tool. A leading UTF-8
 * byte-order mark (Windows editors write one) is skipped. Returns the value, or why the text
 * is not JSON: `line L, column C: what` for its first problem, e.g.
 * `line 4, column 7: a trailing comma, which JSON does not allow`.
 */
export function parseStrictJson(text: string): { value: unknown } | { problem: string } {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return { value: JSON.parse(body) as unknown };
  } catch (error) {
    // JSON.parse decides what is valid; the JSONC scanner (comments off) says where it broke.
    const errors: ParseError[] = [];
    parse(body, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    if (first === undefined) return { problem: (error as Error).message };
    const { line, column } = positionOf(body, first.offset);
    return { problem: `line ${line}, column ${column}: ${describe(body, first)}` };
  }
}

/** 1-based line and column (in UTF-16 units, as editors count most text) of an offset. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

function describe(text: string, error: ParseError): string {
  const code = printParseErrorCode(error.error);
  if (code === 'InvalidCommentToken') return 'a comment, which JSON does not allow';

  const found = text.slice(error.offset, error.offset + 1);
  const before = text.slice(0, error.offset).trimEnd();
  if ((found === '}' || found === ']') && before.endsWith(',')) {
    return 'a trailing comma, which JSON does not allow';
  }
  // `PropertyNameExpected` → `property name expected`.
  const words = code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return found === ''
    ? `${words} (the file ends here)`
    : `${words}, found ${JSON.stringify(found)}`;
}
