import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import { collectingLogger } from '../support/collectingLogger';
import { withTransientRetry } from '../../src/orders/transientRetry';

const withCode = (code: string, message = 'failed'): Error =>
  Object.assign(new Error(message), { code });

const fastPolicy = { maxAttempts: 4, initialDelayMs: 10, maxDelayMs: 40, budgetMs: 2_000 };

describe('withTransientRetry', () => {
  it('retries transient errors until the operation succeeds', async () => {
    const attempts: number[] = [];
    const result = await withTransientRetry(
      'test',
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw withCode('ECONNREFUSED');
        return 'done';
      },
      silentLogger(),
      fastPolicy,
    );
    assert.equal(result, 'done');
    assert.deepEqual(attempts, [1, 2, 3]);
  });

  it('rethrows a final error at once', async () => {
    let attempts = 0;
    await assert.rejects(
      withTransientRetry(
        'test',
        async () => {
          attempts++;
          throw withCode('23505', 'duplicate key');
        },
        silentLogger(),
        fastPolicy,
      ),
      /duplicate key/,
    );
    assert.equal(attempts, 1);
  });

  it('gives up after the last attempt with a retryable DatabaseUnavailable', async () => {
    let attempts = 0;
    const startedAt = Date.now();
    const error = await withTransientRetry(
      'test',
      async () => {
        attempts++;
        throw withCode('ECONNREFUSED');
      },
      silentLogger(),
      fastPolicy,
    ).catch((e: unknown) => e);

    assert.equal(attempts, 4);
    assert.ok(isAppError(error));
    assert.equal(error.code, 'DatabaseUnavailable');
    assert.equal(error.retryable, true);
    assert.match(error.message, /^test failed after 4 attempts in \d+ ms: failed$/, 'last cause');
    // 10 + 20 + 40 ms of backoff between four attempts.
    assert.ok(Date.now() - startedAt >= 70);
  });

  it('stops early when the next wait would exceed the time budget', async () => {
    let attempts = 0;
    const policy = { maxAttempts: 100, initialDelayMs: 50, maxDelayMs: 50, budgetMs: 120 };
    await assert.rejects(
      withTransientRetry(
        'test',
        async () => {
          attempts++;
          throw withCode('57P01');
        },
        silentLogger(),
        policy,
      ),
      (error: unknown) => isAppError(error) && error.code === 'DatabaseUnavailable',
    );
    assert.ok(attempts >= 2 && attempts <= 3, `attempts: ${attempts}`);
  });

  it('logs a timed-out lock wait on every attempt, the last one included', async () => {
    const logger = collectingLogger();
    await assert.rejects(
      withTransientRetry(
        'processing order 536365',
        async () => {
          throw withCode('55P03', 'canceling statement due to lock timeout');
        },
        logger,
        { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10, budgetMs: 1_000 },
      ),
    );

    assert.deepEqual(
      logger.warnings.map((line) => [line.message, line.fields?.sqlstate, line.fields?.retrying]),
      [
        ['a database lock wait timed out', '55P03', true],
        ['a database lock wait timed out', '55P03', false],
      ],
    );
    assert.equal(logger.warnings[0]?.fields?.what, 'processing order 536365');
    assert.equal(typeof logger.warnings[0]?.fields?.waitedMs, 'number');
  });
});
