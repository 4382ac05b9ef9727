import type { z } from 'zod';
import { decodeMessage, storedBody, type RejectionCode } from './decodeMessage';
import type { OrderRuntime } from './orderRuntime';
import { recordRejection } from './recordRejection';
import { brokerFactsFrom } from './rejectedMessages';
import { withTransientRetry } from './transientRetry';

/** A valid message the job would not apply: recorded with why, as an undecodable one is. */
interface JobRefusal {
  refused: RejectionCode;
  reason: string;
}

/** What an applied message gave: the value handed back, and the facts of one info line. */
interface JobResult<R> {
  result: R | undefined;
  logMessage: string;
  logFields: Record<string, unknown>;
}

/** One kind of message the order job takes: its contract and the work it does with it. */
export interface MessageJob<T, R> {
  messageType: string;
  schema: z.ZodType<T>;
  /** The work in words, for the retry log lines (`processing order o-1`). */
  describe(message: T): string;
  /** The work itself, against the store; retried as a whole while the database is down. */
  run(runtime: OrderRuntime, message: T): Promise<JobRefusal | JobResult<R>>;
}

/**
 * A handler for one kind of message, whatever hosts it: decodes the body, runs the job against
 * the store and records a message it cannot or will not apply, then returns so that the host
 * completes it. A database that stays down past the retry budget throws (DatabaseUnavailable),
 * so that the host abandons the message and the broker counts the delivery.
 *
 * @param functionName - the name rejections are recorded and logged under.
 * @returns a handler taking the body and the host's trigger metadata.
 */
export function messageHandler<T, R>(
  functionName: string,
  job: MessageJob<T, R>,
  runtimeOf: () => Promise<OrderRuntime>,
) {
  return async function handleMessage(
    body: unknown,
    triggerMetadata: Record<string, unknown> | undefined,
  ): Promise<R | undefined> {
    const startedAt = Date.now();
    const runtime = await runtimeOf();
    const trigger = brokerFactsFrom(triggerMetadata);
    const logger = runtime.logger.child({ function: functionName, ...trigger });

    const decoded = decodeMessage(body, job.messageType, job.schema);
    if (!decoded.ok) {
      await recordRejection(runtime, functionName, trigger, decoded, logger);
      return undefined;
    }

    const message = decoded.value;
    const done = await withTransientRetry(
      job.describe(message),
      () => job.run(runtime, message),
      logger,
      runtime.retryPolicy,
    );

    if ('refused' in done) {
      // Kept whole, with why, where an operator finds it; nothing goes on from here.
      const { refused: code, reason } = done;
      const rejected = { ok: false, code, reason, body: storedBody(body) } as const;
      await recordRejection(runtime, functionName, trigger, rejected, logger);
      return undefined;
    }

    logger.info(done.logMessage, { ...done.logFields, durationMs: Date.now() - startedAt });
    return done.result;
  };
}
