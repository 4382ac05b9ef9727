import { randomUUID } from 'node:crypto';

import { AppError } from '../../shared/errors';
import type { ArithmeticOperator, ComparisonOperator, Expr, SqlValue } from './ast';
import { matchLike } from './like';
import { hasProperty, readProperty } from './values';
import { findSystemProperty } from './systemProperties';
import type { RuleMessage } from './types';

/**
 * Evaluates a parsed expression with Service Bus's three-valued logic: true, false, or null
 * (unknown). A missing property is unknown; operators on unknown give unknown; a type pairing
 * that C# would not allow (comparing a string with a number) is also unknown, so the filter
 * does not match rather than failing the send.
 * @throws AppError `SqlEvaluationFailed` for an integer division or modulo by zero, which C#
 *   (and so Service Bus) raises as a filter evaluation exception.
 */
export function evaluate(expr: Expr, message: RuleMessage): SqlValue {
  switch (expr.type) {
    case 'literal':
      return expr.value;
    case 'property':
      return readProperty(message, expr.ref);
    case 'propertyByName':
      return readPropertyByName(evaluate(expr.name, message), message);
    case 'newId':
      return randomUUID();
    case 'negate':
      return negate(evaluate(expr.operand, message));
    case 'arithmetic':
      return arithmetic(expr.operator, evaluate(expr.left, message), evaluate(expr.right, message));
    case 'comparison':
      return compare(expr.operator, evaluate(expr.left, message), evaluate(expr.right, message));
    case 'in':
      return negateIf(expr.negated, isIn(expr.list, evaluate(expr.operand, message), message));
    case 'like':
      return negateIf(expr.negated, like(expr, message));
    case 'isNull':
      return (evaluate(expr.operand, message) === null) !== expr.negated;
    case 'exists':
      return hasProperty(message, expr.ref);
    case 'not':
      return negateIf(true, asLogical(evaluate(expr.operand, message)));
    case 'and':
      return and(logical(expr.left, message), () => logical(expr.right, message));
    case 'or':
      return or(logical(expr.left, message), () => logical(expr.right, message));
  }
}

type Logical = boolean | null;

function logical(expr: Expr, message: RuleMessage): Logical {
  return asLogical(evaluate(expr, message));
}

function asLogical(value: SqlValue): Logical {
  return typeof value === 'boolean' ? value : null;
}

function negateIf(negated: boolean, value: Logical): Logical {
  if (value === null || !negated) return value;
  return !value;
}

function and(left: Logical, right: () => Logical): Logical {
  if (left === false) return false;
  const rightValue = right();
  if (rightValue === false) return false;
  return left === true && rightValue === true ? true : null;
}

function or(left: Logical, right: () => Logical): Logical {
  if (left === true) return true;
  const rightValue = right();
  if (rightValue === true) return true;
  return left === false && rightValue === false ? false : null;
}

function readPropertyByName(name: SqlValue, message: RuleMessage): SqlValue {
  if (typeof name !== 'string') return null;

  const dot = name.indexOf('.');
  const scope = dot < 0 ? '' : name.slice(0, dot).toLowerCase();
  if (scope === 'sys') {
    const key = findSystemProperty(name.slice(dot + 1));
    return key === undefined ? null : readProperty(message, { scope: 'sys', name, key });
  }
  const userName = scope === 'user' ? name.slice(dot + 1) : name;
  return readProperty(message, { scope: 'user', name: userName });
}

function negate(value: SqlValue): SqlValue {
  if (typeof value === 'bigint') return BigInt.asIntN(64, -value);
  if (typeof value === 'number') return -value;
  return null;
}

function arithmetic(operator: ArithmeticOperator, left: SqlValue, right: SqlValue): SqlValue {
  if (typeof left === 'bigint' && typeof right === 'bigint') {
    return integerArithmetic(operator, left, right);
  }
  if (isNumeric(left) && isNumeric(right)) {
    return floatArithmetic(operator, Number(left), Number(right));
  }
  if (operator === '+' && typeof left === 'string' && typeof right === 'string') {
    return left + right;
  }
  return null;
}

function integerArithmetic(operator: ArithmeticOperator, left: bigint, right: bigint): SqlValue {
  switch (operator) {
    case '+':
      return BigInt.asIntN(64, left + right);
    case '-':
      return BigInt.asIntN(64, left - right);
    case '*':
      return BigInt.asIntN(64, left * right);
    case '/':
      if (right === 0n) throw divideByZero();
      return BigInt.asIntN(64, left / right);
    case '%':
      if (right === 0n) throw divideByZero();
      return left % right;
  }
}

/** C#'s DivideByZeroException, with its message. */
function divideByZero(): AppError {
  return new AppError('SqlEvaluationFailed', 'Attempted to divide by zero.');
}

function floatArithmetic(operator: ArithmeticOperator, left: number, right: number): number {
  switch (operator) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      return left / right;
    case '%':
      return left % right;
  }
}

function isNumeric(value: SqlValue): value is bigint | number {
  return typeof value === 'bigint' || typeof value === 'number';
}

/** -1, 0, 1, or null when C# has no ordering between the two types. */
function order(left: SqlValue, right: SqlValue, equalityOnly: boolean): number | null {
  if (left === null || right === null) return null;

  if (typeof left === 'bigint' && typeof right === 'bigint') return sign(left - right);
  if (isNumeric(left) && isNumeric(right)) {
    const [a, b] = [Number(left), Number(right)];
    return a < b ? -1 : a > b ? 1 : a === b ? 0 : null;
  }
  if (left instanceof Date && right instanceof Date) {
    return sign(left.getTime() - right.getTime());
  }

  // Strings and booleans only have equality in C#; strings compare ordinally (case-sensitive).
  if (!equalityOnly) return null;
  if (typeof left === 'string' && typeof right === 'string') return left === right ? 0 : 1;
  if (typeof left === 'boolean' && typeof right === 'boolean') return left === right ? 0 : 1;
  return null;
}

function sign(value: number | bigint): number {
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}

function compare(operator: ComparisonOperator, left: SqlValue, right: SqlValue): Logical {
  const equalityOnly = operator === '=' || operator === '<>';
  const result = order(left, right, equalityOnly);
  if (result === null) return null;

  switch (operator) {
    case '=':
      return result === 0;
    case '<>':
      return result !== 0;
    case '<':
      return result < 0;
    case '<=':
      return result <= 0;
    case '>':
      return result > 0;
    case '>=':
      return result >= 0;
  }
}

/** SQL IN: true on a match; otherwise unknown if anything was unknown, else false. */
function isIn(list: Expr[], value: SqlValue, message: RuleMessage): Logical {
  if (value === null) return null;

  let sawUnknown = false;
  for (const item of list) {
    const equal = compare('=', value, evaluate(item, message));
    if (equal === true) return true;
    if (equal === null) sawUnknown = true;
  }
  return sawUnknown ? null : false;
}

function like(expr: Extract<Expr, { type: 'like' }>, message: RuleMessage): Logical {
  const value = evaluate(expr.operand, message);
  const pattern = evaluate(expr.pattern, message);
  const escape = expr.escape === null ? null : evaluate(expr.escape, message);
  if (typeof value !== 'string' || typeof pattern !== 'string') return null;
  if (expr.escape !== null && (typeof escape !== 'string' || escape.length !== 1)) return null;

  return matchLike(value, pattern, typeof escape === 'string' ? escape : null);
}
