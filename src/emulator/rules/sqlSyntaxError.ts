import { AppError } from '../../shared/errors';

/**
 * A SQL filter or action that does not parse, or that names something Service Bus refuses
 * (an unknown `sys.` property, a non-literal escape of the wrong length). `position` is the
 * 0-based index into `expression` where the problem starts.
 */
export class SqlSyntaxError extends AppError {
  readonly position: number;
  readonly expression: string;

  constructor(detail: string, expression: string, position: number) {
    super('SqlSyntaxError', `${detail} at position ${position + 1} of "${expression}"`);
    this.position = position;
    this.expression = expression;
  }
}
