import type { LogFields, Logger } from '../../src/shared/logger';

/** A logger that keeps its info lines (message and fields) for assertions; drops the rest. */
export function collectingLogger(): Logger & {
  lines: Array<{ message: string; fields?: LogFields }>;
} {
  const lines: Array<{ message: string; fields?: LogFields }> = [];
  const ignore = (): void => undefined;
  const logger = {
    lines,
    debug: ignore,
    info: (message: string, fields?: LogFields) => void lines.push({ message, fields }),
    warn: ignore,
    error: ignore,
    child: () => logger,
  };
  return logger;
}
