import { SqlSyntaxError } from './sqlSyntaxError';

export type TokenKind =
  'identifier' | 'keyword' | 'string' | 'integer' | 'decimal' | 'operator' | 'parameter' | 'end';

export interface Token {
  kind: TokenKind;
  /** Keywords are upper-cased; identifiers are unquoted; strings are unescaped. */
  text: string;
  position: number;
}

const KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'ESCAPE',
  'IS',
  'NULL',
  'TRUE',
  'FALSE',
  'EXISTS',
  'SET',
  'REMOVE',
]);

// Longest first, so `<=` is not read as `<` then `=`.
const OPERATORS = [
  '<>',
  '!=',
  '<=',
  '>=',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  ',',
  ';',
  '.',
];

const LETTER = /\p{L}/u;
const IDENTIFIER_PART = /[_\p{L}\p{Nd}]/u;
const NUMBER = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/;

/** Splits a SQL filter or action into tokens; the last token is always `end`. */
export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;

  while (index < expression.length) {
    const char = expression.charAt(index);

    if (/\s/.test(char)) {
      index += 1;
      continue;
    }

    const start = index;
    if (char === "'") {
      const [text, next] = readQuoted(expression, index, "'", "'", 'string literal');
      tokens.push({ kind: 'string', text, position: start });
      index = next;
    } else if (char === '[') {
      const [text, next] = readQuoted(expression, index, '[', ']', 'delimited identifier');
      tokens.push({ kind: 'identifier', text, position: start });
      index = next;
    } else if (char === '"') {
      const [text, next] = readQuoted(expression, index, '"', '"', 'quoted identifier');
      tokens.push({ kind: 'identifier', text, position: start });
      index = next;
    } else if (/\d/.test(char) || (char === '.' && /\d/.test(expression.charAt(index + 1)))) {
      const match = NUMBER.exec(expression.slice(index));
      const text = match?.[0] ?? char;
      const isInteger = /^\d+$/.test(text);
      tokens.push({ kind: isInteger ? 'integer' : 'decimal', text, position: start });
      index += text.length;
    } else if (LETTER.test(char) || char === '@') {
      index += 1;
      while (index < expression.length && IDENTIFIER_PART.test(expression.charAt(index))) {
        index += 1;
      }
      const text = expression.slice(start, index);
      if (char === '@') tokens.push({ kind: 'parameter', text, position: start });
      else if (KEYWORDS.has(text.toUpperCase())) {
        tokens.push({ kind: 'keyword', text: text.toUpperCase(), position: start });
      } else tokens.push({ kind: 'identifier', text, position: start });
    } else {
      const operator = OPERATORS.find((op) => expression.startsWith(op, index));
      if (operator === undefined) {
        throw new SqlSyntaxError(`Unexpected character '${char}'`, expression, index);
      }
      tokens.push({ kind: 'operator', text: operator, position: start });
      index += operator.length;
    }
  }

  tokens.push({ kind: 'end', text: '', position: expression.length });
  return tokens;
}

/** Reads a quoted run where a doubled closing quote stands for one literal quote. */
function readQuoted(
  expression: string,
  start: number,
  open: string,
  close: string,
  what: string,
): [string, number] {
  let text = '';
  let index = start + open.length;

  while (index < expression.length) {
    const char = expression.charAt(index);
    if (char !== close) {
      text += char;
      index += 1;
    } else if (expression.charAt(index + 1) === close) {
      text += close;
      index += 2;
    } else {
      return [text, index + 1];
    }
  }

  throw new SqlSyntaxError(`Unterminated ${what}`, expression, start);
}
