import { randomUUID } from 'node:crypto';

import { AppError, ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { AppRegistry } from './coreModule';
import type { RpcInvocationRequest, RpcLogCategory, RpcLogLevel } from './coreTypes';
import type { ServiceBusFunction } from './functionPlan';
import { applyLogHooks } from './hooks';
import { invokeRegistered } from './invoke';
import { collectOutputs, type OutputSender } from './outputs';
import type { InvocationResult } from './settle';

export interface DispatchResult {
  invocationId: string;
  result: InvocationResult;
  durationMs: number;
  error?: Error;
}

export interface DispatcherOptions {
  registry: AppRegistry;
  outputs: OutputSender;
  logger: Logger;
  /** null: unbounded. */
  functionTimeoutMs: number | null;
}

/**
 * Runs invocations for all listeners: the library invocation (through `invokeRegistered`), the
 * function timeout, then the Service Bus outputs, which go out only after success. It never
 * throws; the result says how the invocation ended, for settlement.
 */
export class Dispatcher {
  constructor(private readonly options: DispatcherOptions) {}

  async dispatch(
    fn: ServiceBusFunction,
    buildRequest: (invocationId: string) => Omit<RpcInvocationRequest, 'invocationId'>,
  ): Promise<DispatchResult> {
    const invocationId = randomUUID();
    const startedAt = performance.now();
    const log = this.#userLog(fn.name, invocationId);

    const work = (async () => {
      const request = { ...buildRequest(invocationId), invocationId, functionId: fn.name };
      const { response } = await invokeRegistered(this.options.registry, fn.registered, request, log);
      return response;
    })();

    const timeoutMs = this.options.functionTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (timeoutMs !== null) timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });

    try {
      const response = await Promise.race([work, timedOut]);
      if (response === 'timeout') {
        // The handler keeps running (JavaScript cannot stop it), but its result is ignored.
        work.catch(() => undefined);
        const error = new AppError('FunctionTimeout', `Timeout value of ${timeoutMs} ms was exceeded by function ${fn.name}`);
        return { invocationId, result: 'timedOut', durationMs: performance.now() - startedAt, error };
      }

      await this.options.outputs.send(collectOutputs(response, fn.outputs));
      return { invocationId, result: 'succeeded', durationMs: performance.now() - startedAt };
    } catch (error) {
      return { invocationId, result: 'failed', durationMs: performance.now() - startedAt, error: ensureError(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  #userLog(functionName: string, invocationId: string) {
    const logger = this.options.logger.child({ function: functionName, invocationId });
    return (level: RpcLogLevel, category: RpcLogCategory, message: string): void => {
      const line = applyLogHooks(this.options.registry, { level, category, message });
      const fields = { category };
      switch (line.level) {
        case 'trace':
        case 'debug':
          logger.debug(line.message, fields);
          break;
        case 'warning':
          logger.warn(line.message, fields);
          break;
        case 'error':
        case 'critical':
          logger.error(line.message, fields);
          break;
        case 'none':
          break;
        default:
          logger.info(line.message, fields);
      }
    };
  }
}
