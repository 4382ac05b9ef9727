import type { LogFields, Logger } from '../../src/shared/logger';

/**
 * A logger that keeps its info lines (message and fields) for assertions, and its warnings
 * apart; drops the rest.
 */
export function collectingLogger(): Logger & {
  lines: Array<{ message: string; fields?: LogFields }>;
  warnings: Array<{ message: string; fields?: LogFields }>;
} {
  const lines: Array<{ message: string; fields?: LogFields }> = [];
  const warnings: Array<{ message: string; fields?: LogFields }> = [];
  const ignore = (): void => undefined;
  const logger = {
    lines,
    warnings,
    debug: ignore,
    info: (message: string, fields?: LogFields) => void lines.push({ message, fields }),
    warn: (message: string, fields?: LogFields) => void warnings.push({ message, fields }),
    error: ignore,
    child: () => logger,
  };
  return logger;
}
