import { randomUUID } from 'node:crypto';

import { AppError, ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { AppRegistry } from './coreModule';
import type {
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
} from './coreTypes';
import type { ServiceBusFunction } from './functionPlan';
import { applyLogHooks } from './hooks';
import { invokeRegistered } from './invoke';
import type { FunctionLogLevels } from './logLevels';
import { collectOutputs, type OutputSender } from './outputs';
import type { InvocationResult } from './settle';

const TIMED_OUT = Symbol('timedOut');

/** One invocation's function timeout: `performance.now()` when it passed, if it has. */
interface Deadline {
  passedAtMs: number | undefined;
}

export interface DispatchResult {
  invocationId: string;
  result: InvocationResult;
  durationMs: number;
  error?: Error;
  /**
   * Set when the invocation timed out: settles when the handler's promise does (JavaScript
   * cannot stop it), with how long after the timeout that was. Until then the handler still
   * runs, so its listener keeps its concurrency slot.
   */
  handlerReturnedAfterTimeoutMs?: Promise<number>;
}

/** How many invocations ended each way, per function. */
export type InvocationCounts = Record<string, Record<InvocationResult, number>>;

export interface DispatcherOptions {
  registry: AppRegistry;
  outputs: OutputSender;
  logger: Logger;
  /** host.json's levels for each function's lines; a function without one takes the logger's. */
  functionLogLevels?: Record<string, FunctionLogLevels>;
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
  #running = 0;
  #runningPeak = 0;
  readonly #ended: InvocationCounts = {};
  #lastEndedAtMs: number | undefined;

  constructor(private readonly options: DispatcherOptions) {}

  /** Invocations started since the worker began; it only grows (idle detection compares it). */
  get invocationsStarted(): number {
    return this.#started;
  }

  /** `performance.now()` when the latest invocation ended; undefined before the first. */
  get lastInvocationEndedAtMs(): number | undefined {
    return this.#lastEndedAtMs;
  }

  /**
   * The most invocations in flight at once since the previous call (the event-loop watch asks
   * on every tick, so that a blocked stretch is reported with the invocations it held up).
   */
  takeRunningPeak(): number {
    const peak = this.#runningPeak;
    this.#runningPeak = this.#running;
    return peak;
  }

  /** A copy of the per-function counts of ended invocations. */
  invocationCounts(): InvocationCounts {
    return structuredClone(this.#ended);
  }

  /**
   * @param claimOutputs Called once the function succeeded, before its outputs are sent: false
   *   when shutdown has given the message(s) back meanwhile (the outputs are then not sent,
   *   since the messages run again and would send them twice); true claims them, so that
   *   shutdown leaves them to this invocation's own settlement while the outputs go out.
   */
  async dispatch(
    fn: ServiceBusFunction,
    buildRequest: (invocationId: string) => Omit<RpcInvocationRequest, 'invocationId'>,
    claimOutputs: () => boolean = () => true,
  ): Promise<DispatchResult> {
    this.#started++;
    this.#running++;
    if (this.#running > this.#runningPeak) this.#runningPeak = this.#running;
    const outcome = await this.#dispatch(fn, buildRequest, claimOutputs);
    this.#running--;
    const counts = (this.#ended[fn.name] ??= { succeeded: 0, failed: 0, timedOut: 0 });
    counts[outcome.result]++;
    this.#lastEndedAtMs = performance.now();
    return outcome;
  }

  async #dispatch(
    fn: ServiceBusFunction,
    buildRequest: (invocationId: string) => Omit<RpcInvocationRequest, 'invocationId'>,
    claimOutputs: () => boolean,
  ): Promise<DispatchResult> {
    const invocationId = randomUUID();
    const startedAt = performance.now();
    const log = this.#userLog(fn.name, invocationId);
    const deadline: Deadline = { passedAtMs: undefined };

    let work: Promise<RpcInvocationResponse>;
    try {
      const request = { ...buildRequest(invocationId), invocationId, functionId: fn.name };
      const timedOut = () => deadline.passedAtMs !== undefined;
      work = invokeRegistered(this.options.registry, fn.registered, request, log, timedOut).then(
        (outcome) => outcome.response,
      );
    } catch (error) {
      // The input could not be built (a body the host cannot bind): the invocation fails.
      work = Promise.reject(error);
    }

    try {
      const response = await this.#withTimeout(work, deadline);
      if (response === TIMED_OUT) {
        // The handler keeps running, but its result is ignored.
        const timedOutAtMs = deadline.passedAtMs ?? performance.now();
        const handlerReturnedAfterTimeoutMs = work.then(
          () => performance.now() - timedOutAtMs,
          () => performance.now() - timedOutAtMs,
        );
        const timeoutMs = this.options.functionTimeoutMs;
        const error = new AppError(
          'FunctionTimeout',
          `Timeout value of ${timeoutMs} ms was exceeded by function ${fn.name}`,
        );
        const durationMs = timedOutAtMs - startedAt;
        return {
          invocationId,
          result: 'timedOut',
          durationMs,
          error,
          handlerReturnedAfterTimeoutMs,
        };
      }

      if (fn.outputs.length > 0 && !claimOutputs()) {
        this.options.logger.warn('Outputs not sent: the message was given back at shutdown', {
          function: fn.name,
          invocationId,
        });
      } else if (fn.outputs.length > 0) {
        await this.options.outputs.send(collectOutputs(response, fn.outputs));
      }
      return { invocationId, result: 'succeeded', durationMs: performance.now() - startedAt };
    } catch (error) {
      const durationMs = performance.now() - startedAt;
      return { invocationId, result: 'failed', durationMs, error: ensureError(error) };
    }
  }

  /**
   * The work's result, or TIMED_OUT when the function timeout passes first; the deadline then
   * records when, so that the work stops short of its postInvocation hooks.
   */
  #withTimeout<T>(work: Promise<T>, deadline: Deadline): Promise<T | typeof TIMED_OUT> {
    const timeoutMs = this.options.functionTimeoutMs;
    if (timeoutMs === null) return work;

    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        deadline.passedAtMs = performance.now();
        resolve(TIMED_OUT);
      }, timeoutMs);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #userLog(functionName: string, invocationId: string) {
    // Made on the first line only: most invocations log nothing, and a child logger per
    // invocation is a measurable share of a no-op function's cost.
    const scoped: Partial<Record<RpcLogCategory, Logger>> = {};
    const levels = this.options.functionLogLevels?.[functionName];
    return (level: RpcLogLevel, category: RpcLogCategory, message: string): void => {
      const line = applyLogHooks(this.options.registry, { level, category, message });
      // The function's own logs are its `.User` category; the library's about the invocation
      // are the function's category, as the host's lines about it.
      const logger = (scoped[category] ??= this.options.logger.child(
        { function: functionName, invocationId },
        { level: category === 'user' ? levels?.user : levels?.invocations },
      ));
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
