import { AppError, ensureError, isAppError } from '../shared/errors';
import type { AppRegistry } from './coreModule';
import type { HookName, RpcLogCategory, RpcLogLevel } from './coreTypes';

/**
 * Runs the hooks registered under `name` in registration order, each awaited; a hook that
 * throws stops the rest and fails the step it belongs to, as in the Node worker.
 */
export async function runHooks(
  registry: AppRegistry,
  name: HookName,
  context: Record<string, unknown>,
): Promise<void> {
  for (const callback of [...registry.hooksFor(name)]) await callback(context);
}

/**
 * @throws AppError `AppStartHookFailed` wrapping what the hook threw (with its code, when it is
 *   an AppError), so that start-up says the app's hook failed rather than showing its error as
 *   the worker's own.
 */
export async function runAppStartHooks(
  registry: AppRegistry,
  functionAppDirectory: string,
): Promise<void> {
  try {
    await runHooks(registry, 'appStart', {
      hookData: registry.appLevelOnlyHookData,
      appHookData: registry.appHookData,
      functionAppDirectory,
    });
  } catch (error) {
    // The hook's own code, when it has one, is what an operator searches for.
    const code = isAppError(error) ? error.code : undefined;
    throw new AppError(
      'AppStartHookFailed',
      `the app's appStart hook failed: ${code === undefined ? '' : `${code}: `}` +
        ensureError(error).message,
      { cause: error },
    );
  }
}

export function runAppTerminateHooks(registry: AppRegistry): Promise<void> {
  return runHooks(registry, 'appTerminate', {
    hookData: registry.appLevelOnlyHookData,
    appHookData: registry.appHookData,
  });
}

/**
 * Passes one log line through the `log` hooks. As in the worker, hooks may change the level and
 * message of user logs only; system logs go out as they were. A hook that throws leaves the
 * line as it was, and the call that logged it carries on: in Azure's Node.js worker too, a log
 * hook cannot fail an invocation or keep a line from being written.
 */
export function applyLogHooks(
  registry: AppRegistry,
  line: {
    level: RpcLogLevel;
    category: RpcLogCategory;
    message: string;
    invocationContext?: unknown;
  },
): { level: RpcLogLevel; message: string } {
  const callbacks = registry.hooksFor('log');
  if (callbacks.length === 0) return line;

  const context: Record<string, unknown> = {
    hookData: {},
    appHookData: registry.appHookData,
    level: line.level,
    message: line.message,
    category: line.category,
    invocationContext: line.invocationContext,
  };
  try {
    for (const callback of callbacks) callback(context);
  } catch {
    return line;
  }

  if (line.category !== 'user') return line;
  return { level: context.level as RpcLogLevel, message: String(context.message) };
}
