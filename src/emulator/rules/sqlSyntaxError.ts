import { AppError } from '../../shared/errors';

/** Longer expressions are quoted in part, around the problem, so an error stays readable. */
const QUOTE_LIMIT = 200;
const QUOTE_CONTEXT = 60;

/**
 * A SQL filter or action that does not parse, or that names something Service Bus refuses
 * (an unknown `sys.` property, a non-literal escape of the wrong length). `position` is the
 * 0-based index into `expression` where the problem starts.
 */
export class SqlSyntaxError extends AppError {
  readonly position: number;
  readonly expression: string;

  /**
   * @param positioned false for a problem of the whole text (its length), which no position
   *   or quote would explain.
   */
  constructor(detail: string, expression: string, position: number, positioned = true) {
    super(
      'SqlSyntaxError',
      positioned
        ? `${detail} at position ${position + 1} of "${quote(expression, position)}"`
        : detail,
    );
    this.position = position;
    this.expression = expression;
  }
}

function quote(expression: string, position: number): string {
  if (expression.length <= QUOTE_LIMIT) return expression;

  const start = Math.max(0, position - QUOTE_CONTEXT);
  const end = Math.min(expression.length, position + QUOTE_CONTEXT);
  const before = start > 0 ? '…' : '';
  const after = end < expression.length ? '…' : '';
  return `${before}${expression.slice(start, end)}${after}`;
}
