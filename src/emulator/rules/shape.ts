import type { ActionStatement, Expr } from './ast';
import { MAX_NESTING_DEPTH, NESTING_DETAIL } from './limits';
import { SqlSyntaxError } from './sqlSyntaxError';

/**
 * Checks that a parsed tree has the shape of Azure's grammar, which the parser's precedence
 * levels alone let through: a filter is a <predicate> (a comparison, IN, LIKE, IS NULL, EXISTS,
 * or NOT/AND/OR of those), operands are values, IS NULL takes a property, and a LIKE pattern
 * or escape is a string. Without this, `qty + 1` or `color` would be stored and never match.
 * The walk also bounds the tree's depth, which the evaluator recurses through.
 * @throws SqlSyntaxError at the position of the offending part.
 */
export function checkFilterShape(tree: Expr, expression: string): void {
  new ShapeCheck(expression).condition(tree, 1);
}

/** Every SET takes a value: `SET a = (b = 1)` is refused as in a filter operand. */
export function checkActionShape(statements: ActionStatement[], expression: string): void {
  const check = new ShapeCheck(expression);
  for (const statement of statements) {
    if (statement.type === 'set') check.value(statement.value, 1);
  }
}

class ShapeCheck {
  constructor(private readonly expression: string) {}

  condition(expr: Expr, depth: number): void {
    this.guardDepth(expr, depth);

    switch (expr.type) {
      case 'not':
        return this.condition(expr.operand, depth + 1);
      case 'and':
      case 'or':
        this.condition(expr.left, depth + 1);
        return this.condition(expr.right, depth + 1);
      case 'comparison':
        this.value(expr.left, depth + 1);
        return this.value(expr.right, depth + 1);
      case 'in':
        this.value(expr.operand, depth + 1);
        for (const item of expr.list) this.value(item, depth + 1);
        return;
      case 'like':
        this.value(expr.operand, depth + 1);
        this.text(expr.pattern, 'LIKE pattern', depth + 1);
        return expr.escape === null ? undefined : this.text(expr.escape, 'ESCAPE', depth + 1);
      case 'isNull':
        return this.property(expr.operand, depth + 1);
      case 'exists':
        return;
      case 'literal':
        // TRUE and FALSE mean what the SDKs' true and false filters do; other constants are not.
        if (typeof expr.value === 'boolean') return;
    }
    const wanted = 'a condition (a comparison, IN, LIKE, IS NULL or EXISTS)';
    throw this.error(`Expected ${wanted} but found ${describe(expr)}`, expr);
  }

  value(expr: Expr, depth: number): void {
    this.guardDepth(expr, depth);

    switch (expr.type) {
      case 'literal':
      case 'property':
      case 'newId':
        return;
      case 'propertyByName':
        return this.value(expr.name, depth + 1);
      case 'negate':
        return this.value(expr.operand, depth + 1);
      case 'arithmetic':
        this.value(expr.left, depth + 1);
        return this.value(expr.right, depth + 1);
    }
    throw this.error(`Expected a value but found ${describe(expr)}`, expr);
  }

  /** Azure: "IS [NOT] NULL" takes a <property>; property(name) names one as well. */
  private property(expr: Expr, depth: number): void {
    if (expr.type === 'property') return;
    if (expr.type === 'propertyByName') return this.value(expr, depth);
    throw this.error(`IS NULL needs a property but found ${describe(expr)}`, expr);
  }

  /** A pattern or escape "evaluated as a string": constants and number-only operators are not. */
  private text(expr: Expr, what: string, depth: number): void {
    const isNumeric =
      expr.type === 'negate' || (expr.type === 'arithmetic' && expr.operator !== '+');
    const isOtherConstant = expr.type === 'literal' && typeof expr.value !== 'string';
    if (isNumeric || isOtherConstant) {
      throw this.error(`${what} must be a string but found ${describe(expr)}`, expr);
    }
    this.value(expr, depth);
  }

  private guardDepth(expr: Expr, depth: number): void {
    if (depth > MAX_NESTING_DEPTH) throw this.error(NESTING_DETAIL, expr);
  }

  private error(detail: string, expr: Expr): SqlSyntaxError {
    return new SqlSyntaxError(detail, this.expression, expr.position);
  }
}

function describe(expr: Expr): string {
  switch (expr.type) {
    case 'literal':
      return describeConstant(expr.value);
    case 'property':
      return `the property '${expr.ref.name}' on its own`;
    case 'propertyByName':
      return 'property() on its own';
    case 'newId':
      return 'newid() on its own';
    case 'negate':
    case 'arithmetic':
      return 'an arithmetic expression';
    case 'comparison':
      return 'a comparison';
    case 'in':
      return 'an IN test';
    case 'like':
      return 'a LIKE test';
    case 'isNull':
      return 'an IS NULL test';
    case 'exists':
      return 'an EXISTS test';
    case 'not':
    case 'and':
    case 'or':
      return `a condition (${expr.type.toUpperCase()})`;
  }
}

function describeConstant(value: Extract<Expr, { type: 'literal' }>['value']): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return 'a string constant';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return 'a number';
}
