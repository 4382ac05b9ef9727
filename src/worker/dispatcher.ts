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

/** How many invocations ended each way, per function. */
export type InvocationCounts = Record<string, Record<InvocationResult, number>>;

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
  #started = 0;
  readonly #ended: InvocationCounts = {};

  constructor(private readonly options: DispatcherOptions) {}

  /** Invocations started since the worker began; it only grows (idle detection compares it). */
  get invocationsStarted(): number {
    return this.#started;
  }

  /** A copy of the per-function counts of ended invocations. */
  invocationCounts(): InvocationCounts {
    return structuredClone(this.#ended);
  }

  async dispatch(
    fn: ServiceBusFunction,
    buildRequest: (invocationId: string) => Omit<RpcInvocationRequest, 'invocationId'>,
  ): Promise<DispatchResult> {
    this.#started++;
    const outcome = await this.#dispatch(fn, buildRequest);
    const counts = (this.#ended[fn.name] ??= { succeeded: 0, failed: 0, timedOut: 0 });
    counts[outcome.result]++;
    return outcome;
  }

  async #dispatch(
    fn: ServiceBusFunction,
    buildRequest: (invocationId: string) => Omit<RpcInvocationRequest, 'invocationId'>,
  ): Promise<DispatchResult> {
    const invocationId = randomUUID();
    const startedAt = performance.now();
    const log = this.#userLog(fn.name, invocationId);

    const work = (async () => {
      const request = { ...buildRequest(invocationId), invocationId, functionId: fn.name };
      const { response } = await invokeRegistered(
        this.options.registry,
        fn.registered,
        request,
        log,
      );
      return response;
    })();

    const timeoutMs = this.options.functionTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut =
      timeoutMs === null
        ? undefined
        : new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), timeoutMs);
          });

    try {
      const response = timedOut === undefined ? await work : await Promise.race([work, timedOut]);
      if (response === 'timeout') {
        // The handler keeps running (JavaScript cannot stop it), but its result is ignored.
        work.catch(() => undefined);
        const error = new AppError(
          'FunctionTimeout',
          `Timeout value of ${timeoutMs} ms was exceeded by function ${fn.name}`,
        );
        const durationMs = performance.now() - startedAt;
        return { invocationId, result: 'timedOut', durationMs, error };
      }

      await this.options.outputs.send(collectOutputs(response, fn.outputs));
      return { invocationId, result: 'succeeded', durationMs: performance.now() - startedAt };
    } catch (error) {
      const durationMs = performance.now() - startedAt;
      return { invocationId, result: 'failed', durationMs, error: ensureError(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  #userLog(functionName: string, invocationId: string) {
    // Made on the first line only: most invocations log nothing, and a child logger per
    // invocation is a measurable share of a no-op function's cost.
    let scoped: Logger | undefined;
    return (level: RpcLogLevel, category: RpcLogCategory, message: string): void => {
      const line = applyLogHooks(this.options.registry, { level, category, message });
      const logger = (scoped ??= this.options.logger.child({
        function: functionName,
        invocationId,
      }));
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
