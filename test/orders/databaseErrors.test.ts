import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { connectionErrorTranslator } from '../../src/orders/store/connectionErrors';
import { databaseErrorCode, isTransientDatabaseError } from '../../src/orders/store/databaseErrors';
import { AppError, ConfigError, isAppError } from '../../src/shared/errors';

const withCode = (code: string, message = 'failed'): Error =>
  Object.assign(new Error(message), { code });

describe('isTransientDatabaseError', () => {
  const cases: [string, unknown, boolean][] = [
    ['connection refused', withCode('ECONNREFUSED'), true],
    ['admin shutdown (server restart)', withCode('57P01'), true],
    ['the server is starting up', withCode('57P03'), true],
    ['a connection exception class 08', withCode('08006'), true],
    ['a deadlock', withCode('40P01'), true],
    ['a lock wait past lock_timeout', withCode('55P03'), true],
    ['a statement past statement_timeout', withCode('57014'), true],
    ['a session ended idle in a transaction', withCode('25P03'), true],
    ['a dropped connection', new Error('Connection terminated unexpectedly'), true],
    ['a unique violation', withCode('23505'), false],
    ['a syntax error', withCode('42601'), false],
    ['a plain error', new Error('boom'), false],
    ['a non-error', 'ECONNREFUSED', false],
    [
      'a connection failure translated as retryable',
      new AppError('DatabaseUnreachable', 'could not reach', { retryable: true }),
      true,
    ],
    [
      'a connection failure translated as final',
      new AppError('DatabaseUnreachable', 'could not reach', { retryable: false }),
      false,
    ],
    [
      'a spent retry budget, even when its cause was transient',
      new AppError('DatabaseUnavailable', 'failed: Connection terminated unexpectedly', {
        retryable: true,
      }),
      false,
    ],
    ['a configuration error', new ConfigError('DATABASE_SSL must be verify'), false],
  ];
  for (const [name, error, transient] of cases) {
    it(`treats ${name} as ${transient ? 'transient' : 'final'}`, () => {
      assert.equal(isTransientDatabaseError(error), transient);
    });
  }
});

describe('databaseErrorCode', () => {
  it('takes the last attempt of an AggregateError, as Node reports every address tried', () => {
    const attempts = [withCode('ECONNREFUSED'), withCode('ETIMEDOUT')];
    const aggregate = Object.assign(new AggregateError(attempts, ''), { code: 'ECONNREFUSED' });
    assert.equal(databaseErrorCode(aggregate), 'ETIMEDOUT');
  });

  it('is undefined for an error without a code and for a non-error', () => {
    assert.equal(databaseErrorCode(new Error('boom')), undefined);
    assert.equal(databaseErrorCode('57P01'), undefined);
  });
});

// The connection translator and the retry loop once judged these apart: the translator called
// a TLS-worded failure final whatever its code, the retry loop retried it by its code or text.
// PostgreSQL's appendix A asks applications to test the code, not the text: a class 08
// SQLSTATE is a connection exception; a code-less TLS failure repeats until settings change.
describe('one verdict for the retry loop and the connection translator', () => {
  let db: PGlite;
  const translate = connectionErrorTranslator('postgres://orders:pw@db.example:5432/orders');
  const translatedRetryable = (error: unknown): boolean => {
    const translated = translate(error);
    assert.ok(isAppError(translated), `an AppError, got ${String(translated)}`);
    return translated.retryable;
  };

  before(async () => {
    db = await PGlite.create();
  });
  after(async () => {
    await db.close();
  });

  it('retries a class 08 error from the server even when its text names SSL', async () => {
    const raised = await db
      .exec(
        "DO $$ BEGIN RAISE EXCEPTION 'received unencrypted data after SSL request' " +
          "USING ERRCODE = 'protocol_violation'; END $$",
      )
      .catch((e: unknown) => e);

    assert.equal(databaseErrorCode(raised), '08P01');
    assert.equal(isTransientDatabaseError(raised), true, 'retry loop');
    assert.equal(translatedRetryable(raised), true, 'connection translator');
    assert.doesNotMatch(String(translate(raised)), /TLS failed/);
  });

  it('gives up on a code-less TLS failure even when its text reads as a lost connection', () => {
    const failure = new Error('Connection terminated: SSL handshake failed');

    assert.equal(isTransientDatabaseError(failure), false, 'retry loop');
    assert.equal(translatedRetryable(failure), false, 'connection translator');
    assert.match(String(translate(failure)), /TLS failed \(see DATABASE_SSL/);
  });

  it('agrees on every code the translator words for operators', () => {
    const codes = ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE'];
    codes.push('EHOSTUNREACH', 'ENETUNREACH', '28000', '28P01', '3D000', '53300', '57P03');
    for (const code of codes) {
      const error = withCode(code);
      assert.equal(translatedRetryable(error), isTransientDatabaseError(error), code);
    }
  });
});
