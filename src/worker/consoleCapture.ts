import { format, inspect, type InspectOptions } from 'node:util';

import type { Logger } from '../shared/logger';

type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace' | 'dir';
type Level = 'debug' | 'info' | 'warn' | 'error';

/** The level each console method logs at, as the Node.js Functions worker maps them. */
const LEVELS: Record<ConsoleMethod, Level> = {
  log: 'info',
  info: 'info',
  dir: 'info',
  warn: 'warn',
  error: 'error',
  debug: 'debug',
  trace: 'debug',
};

/**
 * Routes the app's console output through the logger, so stdout stays one JSON object a line
 * (raw text from user code would break the log stream Heroku and the tests read). Text is
 * formatted as console does (`util.format`, `util.inspect` for `console.dir`) and logged with
 * `category: 'console'`; pass a logger without a category of its own, or the line carries
 * the key twice. Other console methods that print (`table`, `count`, `assert`, `timeEnd`)
 * go through `log` or `warn` and so are captured too; `group` indentation is not kept.
 *
 * A console call made while a captured one is being logged (a logger that writes to the
 * console) goes to the original console method instead of coming back here.
 *
 * @returns a function that puts back the methods found at the call.
 */
export function captureConsole(logger: Logger): () => void {
  const consoleLogger = logger.child({ category: 'console' });
  const originals = new Map<ConsoleMethod, (...args: unknown[]) => void>();
  let logging = false;

  for (const method of Object.keys(LEVELS) as ConsoleMethod[]) {
    const original = console[method] as (...args: unknown[]) => void;
    originals.set(method, original);
    const level = LEVELS[method];

    const captured = (...args: unknown[]): void => {
      if (logging) {
        original.apply(console, args);
        return;
      }

      logging = true;
      try {
        const [message, fields] = render(method, args, captured);
        consoleLogger[level](message, fields);
      } finally {
        logging = false;
      }
    };
    console[method] = captured;
  }

  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}

function render(
  method: ConsoleMethod,
  args: unknown[],
  captured: (...args: unknown[]) => void,
): [string, Record<string, unknown>?] {
  if (method === 'dir') return [inspect(args[0], { customInspect: false, ...dirOptions(args) })];
  if (method !== 'trace') return [format(...args)];

  // console.trace prints "Trace: <text>" and the caller's stack; the stack becomes a field,
  // starting at the caller.
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, captured);
  const stack = (holder.stack ?? '').split('\n').slice(1).join('\n');
  return [`Trace: ${format(...args)}`, { stack }];
}

function dirOptions(args: unknown[]): InspectOptions {
  const options = args[1];
  return typeof options === 'object' && options !== null ? (options as InspectOptions) : {};
}
