import type { ActionStatement, Expr } from './ast';
import { SqlSyntaxError } from './sqlSyntaxError';

/**
 * Checks that a parsed tree has the shape of Azure's grammar, which the parser's precedence
 * levels alone let through: a filter is a <predicate> (a comparison, IN, LIKE, IS NULL, EXISTS,
 * or NOT/AND/OR of those), operands are values, IS NULL takes a property, and a LIKE pattern
 * or escape is a string. Without this, `qty + 1` or `color` would be stored and never match.
 * The parser bounds nesting; a flat chain of operators (`1+1+…`) is bounded by the length
 * quota to about 512 levels, which this walk and the evaluator recurse through with room to spare.
 * @throws SqlSyntaxError at the position of the offending part.
 */
export function checkFilterShape(tree: Expr, expression: string): void {
  new ShapeCheck(expression).condition(tree);
}

/** Every SET takes a value: `SET a = (b = 1)` is refused as in a filter operand. */
export function checkActionShape(statements: ActionStatement[], expression: string): void {
  const check = new ShapeCheck(expression);
  for (const statement of statements) {
    if (statement.type === 'set') check.value(statement.value);
  }
}

class ShapeCheck {
  constructor(private readonly expression: string) {}

  condition(expr: Expr): void {
    switch (expr.type) {
      case 'not':
        return this.condition(expr.operand);
      case 'and':
      case 'or':
        this.condition(expr.left);
        return this.condition(expr.right);
      case 'comparison':
        this.value(expr.left);
        return this.value(expr.right);
      case 'in':
        this.value(expr.operand);
        for (const item of expr.list) this.value(item);
        return;
      case 'like':
        this.value(expr.operand);
        this.text(expr.pattern, 'LIKE pattern');
        return expr.escape === null ? undefined : this.text(expr.escape, 'ESCAPE');
      case 'isNull':
        return this.property(expr.operand);
      case 'exists':
        return;
      case 'literal':
        // TRUE and FALSE mean what the SDKs' true and false filters do; other constants are not.
        if (typeof expr.value === 'boolean') return;
    }
    const wanted = 'a condition (a comparison, IN, LIKE, IS NULL or EXISTS)';
    throw this.error(`Expected ${wanted} but found ${describe(expr)}`, expr);
  }

  value(expr: Expr): void {
    switch (expr.type) {
      case 'literal':
      case 'property':
      case 'newId':
        return;
      case 'propertyByName':
        return this.value(expr.name);
      case 'negate':
        return this.value(expr.operand);
      case 'arithmetic':
        this.value(expr.left);
        return this.value(expr.right);
    }
    throw this.error(`Expected a value but found ${describe(expr)}`, expr);
  }

  /** Azure: "IS [NOT] NULL" takes a <property>; property(name) names one as well. */
  private property(expr: Expr): void {
    if (expr.type === 'property') return;
    if (expr.type === 'propertyByName') return this.value(expr);
    throw this.error(`IS NULL needs a property but found ${describe(expr)}`, expr);
  }

  /** A pattern or escape "evaluated as a string": constants and number-only operators are not. */
  private text(expr: Expr, what: string): void {
    const isNumeric =
      expr.type === 'negate' || (expr.type === 'arithmetic' && expr.operator !== '+');
    const isOtherConstant = expr.type === 'literal' && typeof expr.value !== 'string';
    if (isNumeric || isOtherConstant) {
      throw this.error(`${what} must be a string but found ${describe(expr)}`, expr);
    }
    this.value(expr);
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
