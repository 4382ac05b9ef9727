import type {
  ActionStatement,
  ArithmeticOperator,
  ComparisonOperator,
  Expr,
  PropertyRef,
} from './ast';
import { tokenize, type Token } from './lexer';
import { MAX_NESTING_DEPTH, MAX_SQL_EXPRESSION_LENGTH, NESTING_DETAIL } from './limits';
import { checkActionShape, checkFilterShape } from './shape';
import { SqlSyntaxError } from './sqlSyntaxError';
import { findSystemProperty, isWritableSystemProperty } from './systemProperties';

const COMPARISON_OPERATORS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parses a SQL filter expression into a tree that is a condition, as Azure's grammar wants a
 * <predicate>; throws SqlSyntaxError with the position.
 */
export function parseFilter(expression: string): Expr {
  const parser = new Parser(expression);
  const tree = parser.condition();
  parser.expectEnd();
  checkFilterShape(tree, expression);
  return tree;
}

/** Parses `SET x = expr` / `REMOVE x` statements, separated by optional semicolons. */
export function parseAction(expression: string): ActionStatement[] {
  const parser = new Parser(expression);
  const statements = parser.statements();
  parser.expectEnd();
  checkActionShape(statements, expression);
  return statements;
}

/** Recursive descent, one method per precedence level, loosest first. */
class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;

  constructor(private readonly expression: string) {
    // Checked before tokenizing, so an oversized text costs no more than its length.
    if (expression.length > MAX_SQL_EXPRESSION_LENGTH) {
      const detail =
        `The expression is ${expression.length} characters long; ` +
        `Service Bus allows at most ${MAX_SQL_EXPRESSION_LENGTH}`;
      throw new SqlSyntaxError(detail, expression, MAX_SQL_EXPRESSION_LENGTH, false);
    }
    this.tokens = tokenize(expression);
  }

  statements(): ActionStatement[] {
    const statements: ActionStatement[] = [];

    while (this.peek().kind !== 'end') {
      const token = this.next();
      if (this.isKeyword(token, 'SET')) {
        const ref = this.writableProperty();
        this.expectOperator('=');
        statements.push({ type: 'set', ref, value: this.additive(), position: token.position });
      } else if (this.isKeyword(token, 'REMOVE')) {
        const ref = this.writableProperty();
        statements.push({ type: 'remove', ref, position: token.position });
      } else {
        throw this.unexpected(token, 'SET or REMOVE');
      }

      while (this.acceptOperator(';')) {
        // Semicolons between statements are optional and may repeat.
      }
    }

    if (statements.length === 0) throw this.error('Empty action', 0);
    return statements;
  }

  condition(): Expr {
    let left = this.conjunction();
    for (let token = this.peek(); this.acceptKeyword('OR'); token = this.peek()) {
      left = { type: 'or', left, right: this.conjunction(), position: token.position };
    }
    return left;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') throw this.unexpected(token, 'the end of the expression');
  }

  private conjunction(): Expr {
    let left = this.negation();
    for (let token = this.peek(); this.acceptKeyword('AND'); token = this.peek()) {
      left = { type: 'and', left, right: this.negation(), position: token.position };
    }
    return left;
  }

  private negation(): Expr {
    const token = this.peek();
    if (this.acceptKeyword('NOT')) {
      const operand = this.nested(token, () => this.negation());
      return { type: 'not', operand, position: token.position };
    }
    return this.predicate();
  }

  private predicate(): Expr {
    const left = this.additive();
    const token = this.peek();

    if (token.kind === 'operator' && COMPARISON_OPERATORS.has(token.text)) {
      this.next();
      const operator = (token.text === '!=' ? '<>' : token.text) as ComparisonOperator;
      const right = this.additive();
      return { type: 'comparison', operator, left, right, position: token.position };
    }

    if (this.acceptKeyword('IS')) {
      const negated = this.acceptKeyword('NOT');
      this.expectKeyword('NULL');
      return { type: 'isNull', negated, operand: left, position: token.position };
    }

    const negated = this.acceptKeyword('NOT');
    if (this.acceptKeyword('IN')) {
      return { type: 'in', negated, operand: left, list: this.list(), position: token.position };
    }
    if (this.acceptKeyword('LIKE')) {
      const pattern = this.additive();
      const escape = this.acceptKeyword('ESCAPE') ? this.additive() : null;
      checkLiteralLike(pattern, escape, this.expression);
      return { type: 'like', negated, operand: left, pattern, escape, position: token.position };
    }
    if (negated) throw this.unexpected(this.peek(), 'IN or LIKE after NOT');

    return left;
  }

  private list(): Expr[] {
    this.expectOperator('(');
    const items = [this.additive()];
    while (this.acceptOperator(',')) items.push(this.additive());
    this.expectOperator(')');
    return items;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (let token = this.peek(); this.isOperator(token, '+', '-'); token = this.peek()) {
      this.next();
      const operator = token.text as ArithmeticOperator;
      const right = this.multiplicative();
      left = { type: 'arithmetic', operator, left, right, position: token.position };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (let token = this.peek(); this.isOperator(token, '*', '/', '%'); token = this.peek()) {
      this.next();
      const operator = token.text as ArithmeticOperator;
      const right = this.unary();
      left = { type: 'arithmetic', operator, left, right, position: token.position };
    }
    return left;
  }

  private unary(): Expr {
    const token = this.peek();
    if (this.acceptOperator('+')) return this.nested(token, () => this.unary());
    if (this.acceptOperator('-')) {
      // Folding keeps -9223372036854775808 representable, as in C#.
      const next = this.peek();
      if (next.kind === 'integer') {
        this.next();
        return { type: 'literal', value: this.integer(next, true), position: token.position };
      }
      const operand = this.nested(token, () => this.unary());
      return { type: 'negate', operand, position: token.position };
    }
    return this.primary();
  }

  private primary(): Expr {
    const token = this.next();
    const position = token.position;

    switch (token.kind) {
      case 'string':
        return { type: 'literal', value: token.text, position };
      case 'integer':
        return { type: 'literal', value: this.integer(token, false), position };
      case 'decimal':
        return { type: 'literal', value: Number(token.text), position };
      case 'parameter':
        throw this.error(`Parameter ${token.text} is not supported`, position);
      case 'keyword':
        return this.keywordPrimary(token);
      case 'identifier':
        return this.identifierPrimary(token);
      case 'operator':
        if (token.text === '(') {
          const inner = this.nested(token, () => this.condition());
          this.expectOperator(')');
          return inner;
        }
        throw this.unexpected(token, 'a value');
      case 'end':
        throw this.unexpected(token, 'a value');
    }
  }

  private keywordPrimary(token: Token): Expr {
    const position = token.position;
    if (token.text === 'TRUE') return { type: 'literal', value: true, position };
    if (token.text === 'FALSE') return { type: 'literal', value: false, position };
    if (token.text === 'NULL') return { type: 'literal', value: null, position };
    if (token.text === 'EXISTS') {
      this.expectOperator('(');
      const ref = this.property(this.next());
      this.expectOperator(')');
      return { type: 'exists', ref, position };
    }
    throw this.unexpected(token, 'a value');
  }

  private identifierPrimary(token: Token): Expr {
    const position = token.position;
    if (!this.isOperator(this.peek(), '(')) {
      return { type: 'property', ref: this.property(token), position };
    }

    const name = token.text.toLowerCase();
    this.next();
    if (name === 'newid') {
      this.expectOperator(')');
      return { type: 'newId', position };
    }
    if (name === 'property' || name === 'p') {
      const argument = this.nested(token, () => this.additive());
      this.expectOperator(')');
      return { type: 'propertyByName', name: argument, position };
    }
    throw this.error(`Unknown function '${token.text}'`, position);
  }

  /** `[sys.|user.]name`, where the name may be [delimited] or "quoted". */
  private property(first: Token): PropertyRef {
    if (first.kind !== 'identifier') throw this.unexpected(first, 'a property name');

    const scope = first.text.toLowerCase();
    const isScoped = (scope === 'sys' || scope === 'user') && this.isOperator(this.peek(), '.');
    if (!isScoped) return { scope: 'user', name: first.text };

    this.next();
    const nameToken = this.next();
    if (nameToken.kind !== 'identifier' && nameToken.kind !== 'keyword') {
      throw this.unexpected(nameToken, 'a property name');
    }
    if (scope === 'user') return { scope: 'user', name: nameToken.text };

    const key = findSystemProperty(nameToken.text);
    if (key === undefined) {
      throw this.error(`Unknown system property 'sys.${nameToken.text}'`, nameToken.position);
    }
    return { scope: 'sys', name: nameToken.text, key };
  }

  private writableProperty(): PropertyRef {
    const token = this.peek();
    const ref = this.property(this.next());
    if (ref.scope === 'sys' && !isWritableSystemProperty(ref.key)) {
      throw this.error(`System property 'sys.${ref.name}' cannot be changed`, token.position);
    }
    return ref;
  }

  private integer(token: Token, negative: boolean): bigint {
    const value = negative ? -BigInt(token.text) : BigInt(token.text);
    if (value > INT64_MAX || value < -INT64_MAX - 1n) {
      throw this.error(
        `Integer ${token.text} is out of the range of a long (-2^63 to 2^63 - 1)`,
        token.position,
      );
    }
    return value;
  }

  /** Runs a recursive step one level deeper, refusing input that would exhaust the stack. */
  private nested<T>(token: Token, parse: () => T): T {
    if (this.depth >= MAX_NESTING_DEPTH) throw this.error(NESTING_DETAIL, token.position);

    this.depth += 1;
    try {
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  private peek(): Token {
    return this.tokens[this.index] ?? this.tokens[this.tokens.length - 1]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'keyword' && token.text === keyword;
  }

  private isOperator(token: Token, ...operators: string[]): boolean {
    return token.kind === 'operator' && operators.includes(token.text);
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.isKeyword(this.peek(), keyword)) return false;
    this.next();
    return true;
  }

  private acceptOperator(operator: string): boolean {
    if (!this.isOperator(this.peek(), operator)) return false;
    this.next();
    return true;
  }

  private expectKeyword(keyword: string): void {
    if (!this.acceptKeyword(keyword)) throw this.unexpected(this.peek(), keyword);
  }

  private expectOperator(operator: string): void {
    if (!this.acceptOperator(operator)) throw this.unexpected(this.peek(), `'${operator}'`);
  }

  private unexpected(token: Token, wanted: string): SqlSyntaxError {
    const found = token.kind === 'end' ? 'end of expression' : `'${this.source(token)}'`;
    return this.error(`Expected ${wanted} but found ${found}`, token.position);
  }

  private source(token: Token): string {
    const next = this.tokens[this.tokens.indexOf(token) + 1];
    const end = next?.position ?? this.expression.length;
    return this.expression.slice(token.position, end).trim();
  }

  private error(detail: string, position: number): SqlSyntaxError {
    return new SqlSyntaxError(detail, this.expression, position);
  }
}

/** Service Bus wants a one-character escape; a literal one can be checked before any message. */
function checkLiteralLike(pattern: Expr, escape: Expr | null, expression: string): void {
  if (escape?.type !== 'literal') return;

  const escapeChar = escape.value;
  if (typeof escapeChar !== 'string' || escapeChar.length !== 1) {
    throw new SqlSyntaxError('ESCAPE must be a single character', expression, escape.position);
  }
  if (pattern.type === 'literal' && typeof pattern.value === 'string') {
    if (endsWithLoneEscape(pattern.value, escapeChar)) {
      const detail = 'LIKE pattern ends with its escape character';
      throw new SqlSyntaxError(detail, expression, pattern.position);
    }
  }
}

function endsWithLoneEscape(pattern: string, escape: string): boolean {
  let count = 0;
  for (let i = pattern.length - 1; i >= 0 && pattern.charAt(i) === escape; i -= 1) count += 1;
  return count % 2 === 1;
}
