import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';

import { createLogger, parseLogLevel } from '../../src/shared/logger';

function capture(): { stream: PassThrough; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object a line with the message, level and fields', () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, pretty: false, level: 'info' });

    logger.info('message completed', { messageId: 'm-1', durationMs: 12 });

    const [line] = out.lines();
    assert.equal(line?.msg, 'message completed');
    assert.equal(line?.level, 'info');
    assert.equal(line?.messageId, 'm-1');
    assert.equal(line?.durationMs, 12);
  });

  it('censors secret-looking fields at the top level and one level down', () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, pretty: false });

    logger.warn('oops', {
      connectionString: 'Endpoint=sb://x;SharedAccessKey=abc',
      settings: { password: 'hunter2', token: 'SharedAccessSignature sr=' },
      body: '{"card":"4111"}',
    });

    const text = JSON.stringify(out.lines());
    assert.ok(!text.includes('abc'), text);
    assert.ok(!text.includes('hunter2'), text);
    assert.ok(!text.includes('4111'), text);
    assert.ok(!text.includes('SharedAccessSignature'), text);
  });

  it("leaves the caller's fields untouched and other fields as they are", () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, pretty: false });
    const fields = {
      messageId: 'm-7',
      settings: { keyName: 'RootManageSharedAccessKey', key: 's3' },
    };

    logger.info('configured', fields);

    const [line] = out.lines();
    assert.deepEqual(line?.settings, { keyName: 'RootManageSharedAccessKey', key: '[redacted]' });
    assert.equal(line?.messageId, 'm-7');
    assert.equal(fields.settings.key, 's3', 'the logged object itself is not changed');
  });

  it('drops lines below the configured level and keeps child bindings', () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, pretty: false, level: 'warn' });
    const child = logger.child({ component: 'listener' });

    child.info('not shown');
    child.warn('shown');

    const lines = out.lines();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.component, 'listener');
  });
});

describe('parseLogLevel', () => {
  it('accepts known levels in any case and falls back otherwise', () => {
    assert.equal(parseLogLevel('DEBUG'), 'debug');
    assert.equal(parseLogLevel('verbose', 'warn'), 'warn');
    assert.equal(parseLogLevel(undefined), 'info');
  });

  it('accepts the Functions level names in any case: Trace is debug, Critical error', () => {
    assert.equal(parseLogLevel('Trace', 'warn'), 'debug');
    assert.equal(parseLogLevel('information', 'warn'), 'info');
    assert.equal(parseLogLevel('WARNING'), 'warn');
    assert.equal(parseLogLevel('Critical'), 'error');
    assert.equal(parseLogLevel('None'), 'silent');
  });
});
