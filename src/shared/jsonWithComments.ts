import { parse, type ParseError, printParseErrorCode } from 'jsonc-parser';

import { ConfigError } from './errors';

/**
 * Parses a settings file the way the Functions host reads host.json (Json.NET's
 * `JObject.Parse`): a leading byte order mark and `//` and `/* *\/` comments are allowed;
 * anything else that is not JSON, trailing commas included, is refused with the line and
 * column of the first problem.
 *
 * @throws ConfigError naming `path`, the position and what was expected there.
 */
export function parseJsonWithComments(fileText: string, path: string): unknown {
  // .NET's file reading drops a UTF-8 byte order mark, which Windows editors write.
  const text = fileText.startsWith('\uFEFF') ? fileText.slice(1) : fileText;
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: false });

  const first = errors[0];
  if (first !== undefined) {
    const { line, column } = positionOf(text, first.offset);
    throw new ConfigError(
      `${path} is not valid JSON at line ${line}, column ${column}: ` +
        describeError(printParseErrorCode(first.error)),
    );
  }
  return value;
}

/** 1-based line and column of a character offset. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** `PropertyNameExpected` → `property name expected`. */
function describeError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
