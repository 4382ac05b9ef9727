import { isAppError } from './errors';
import { describeNonError } from './loggableKeys';
import type { LogFields, Logger } from './logger';

/** The fields a log line names its failure in. */
const FAILURE_FIELDS = ['error', 'err'] as const;

/**
 * The code an operator can filter on: an AppError's code, Node's (`ECONNRESET`), or an AMQP
 * condition (`amqp:not-found`, Service Bus's `com.microsoft:...`) from rhea or our broker.
 */
export function failureCode(failure: unknown): string | undefined {
  if (isAppError(failure)) return failure.code;
  if (typeof failure !== 'object' || failure === null) return undefined;

  const { code, condition } = failure as { code?: unknown; condition?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  return typeof condition === 'string' && condition !== '' ? condition : undefined;
}

/**
 * A logger that turns a failure passed whole in an `error` (or `err`) field into its text and
 * adds its code as `code`, so every line about a failure carries the code without each call
 * site digging it out. A field already given as text is left as it is.
 */
export function withFailureCodes(logger: Logger): Logger {
  return {
    debug: (message, fields) => logger.debug(message, withCode(fields)),
    info: (message, fields) => logger.info(message, withCode(fields)),
    warn: (message, fields) => logger.warn(message, withCode(fields)),
    error: (message, fields) => logger.error(message, withCode(fields)),
    child: (bindings, options) => withFailureCodes(logger.child(bindings, options)),
  };
}

function withCode(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined) return undefined;
  const name = FAILURE_FIELDS.find((field) => isWhole(fields[field]));
  if (name === undefined) return withConditionCode(fields);

  const failure = fields[name];
  const code = failureCode(failure);
  const coded = code === undefined || fields.code !== undefined ? {} : { code };
  return { ...fields, [name]: failureText(failure), ...coded };
}

function isWhole(value: unknown): boolean {
  return value !== undefined && typeof value !== 'string';
}

/**
 * An Error as `String()` shows it (name and message); an AMQP error object (rhea's decoded
 * `error` of a close or detach) as its condition and description; anything else by its shape,
 * never its content, which may be a message body.
 */
function failureText(failure: unknown): string {
  if (failure instanceof Error) return String(failure);
  if (typeof failure !== 'object' || failure === null) return String(failure);

  const { condition, description } = failure as { condition?: unknown; description?: unknown };
  if (typeof condition === 'string' || typeof description === 'string') {
    return `${typeof condition === 'string' ? condition : ''} ${String(description ?? '')}`.trim();
  }
  return describeNonError(failure);
}

/** A refusal logged with its AMQP `condition` (and no error object) has that as its code. */
function withConditionCode(fields: LogFields): LogFields {
  const { code, condition } = fields;
  if (code !== undefined || typeof condition !== 'string' || condition === '') return fields;
  return { ...fields, code: condition };
}
