import type { LogFields, Logger } from '../../src/shared/logger';

/**
 * A logger that keeps its info lines (message and fields) for assertions, and its warnings
 * apart; drops the rest. With `keepBindings`, a child's bindings (a connection id) are in the
 * fields of its lines.
 */
export function collectingLogger(options: { keepBindings?: boolean } = {}): Logger & {
  lines: Array<{ message: string; fields?: LogFields }>;
  warnings: Array<{ message: string; fields?: LogFields }>;
} {
  const lines: Array<{ message: string; fields?: LogFields }> = [];
  const warnings: Array<{ message: string; fields?: LogFields }> = [];
  const ignore = (): void => undefined;
  const bound = (bindings: LogFields | undefined): Logger => {
    const merged = (fields?: LogFields) =>
      bindings === undefined ? fields : { ...bindings, ...fields };
    return {
      debug: ignore,
      info: (message: string, fields?: LogFields) =>
        void lines.push({ message, fields: merged(fields) }),
      warn: (message: string, fields?: LogFields) =>
        void warnings.push({ message, fields: merged(fields) }),
      error: ignore,
      child: (more: LogFields) =>
        options.keepBindings ? bound({ ...bindings, ...more }) : bound(bindings),
    };
  };
  return { lines, warnings, ...bound(undefined) };
}
