import type { RpcTypedData } from './coreTypes';

const JSON_WHITESPACE = ' \t\n\r';
const JSON_LITERAL = /^(?:true|false|null)[ \t\n\r]*$/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?[ \t\n\r]*$/;

/**
 * Text the host sends as `{ string }`, in a form the library converts to the same value more
 * cheaply. The library's converter runs every string through JSON.parse and keeps the text
 * when that throws; a thrown SyntaxError costs microseconds, and most metadata text (lock
 * tokens, message ids, plain bodies) is not JSON. Text that cannot be a JSON document is
 * therefore passed as a JSON string literal, which the library parses back to the identical
 * string; text that might be JSON stays `{ string }` for the library to decide.
 */
export function textForLibrary(value: string): RpcTypedData {
  return couldBeJson(value) ? { string: value } : { json: JSON.stringify(value) };
}

/** False only when JSON.parse(value) is sure to throw. */
export function couldBeJson(value: string): boolean {
  const first = value.charAt(0);
  if (first === '') return false;
  if (JSON_WHITESPACE.includes(first) || first === '{' || first === '[' || first === '"') {
    return true;
  }
  if (first === 't' || first === 'f' || first === 'n') return JSON_LITERAL.test(value);
  if (first === '-' || (first >= '0' && first <= '9')) return JSON_NUMBER.test(value);
  return false;
}
