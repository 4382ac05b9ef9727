import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

import { ConfigError } from './errors';

// A settings file's JSON text, read either the way the Functions host reads host.json or as
// strict JSON. Either way a leading UTF-8 byte order mark is dropped (Windows editors write
// one; .NET's file reading drops it), and a file that does not parse is refused with its path,
// the line and column of its first problem and what went wrong there, e.g.
// `Config.json is not valid JSON at line 4, column 7: a trailing comma, which JSON does not
// allow`.

/**
 * Parses a file as the Functions host reads host.json (Json.NET's `JObject.Parse`): `//` and
 * `/* *\/` comments are allowed; anything else that is not JSON, trailing commas included, is
 * refused.
 *
 * @throws ConfigError naming `path`, the position and what was expected there.
 */
export function parseJsonWithComments(fileText: string, path: string): unknown {
  const text = withoutByteOrderMark(fileText);
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: false });

  const first = errors[0];
  if (first !== undefined) throw notJson(path, text, first);
  return value;
}

/**
 * Parses a file as strict JSON: no comments, no trailing commas, so that a file that loads here
 * stays plain JSON for any other tool that reads it (Microsoft's emulator reads Config.json).
 *
 * @throws ConfigError naming `path`, the position and what was expected there.
 */
export function parseStrictJson(fileText: string, path: string): unknown {
  const text = withoutByteOrderMark(fileText);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse decides what is valid; the JSONC scanner (comments off) says where it broke.
    const errors: ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    if (first !== undefined) throw notJson(path, text, first);
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function withoutByteOrderMark(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function notJson(path: string, text: string, error: ParseError): ConfigError {
  const { line, column } = positionOf(text, error.offset);
  return new ConfigError(
    `${path} is not valid JSON at line ${line}, column ${column}: ${describe(text, error)}`,
  );
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
