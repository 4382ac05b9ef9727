import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';

import type { Logger } from '../../src/shared/logger';
import { captureConsole } from '../../src/worker/consoleCapture';
import { captureLogger } from './support';

// Each test restores the console in `finally`: the test runner's own output must not be
// captured by a failed test.

describe('captureConsole', () => {
  it('logs console calls as JSON lines at matching levels, formatted as console does', () => {
    const captured = captureLogger('debug');
    const restore = captureConsole(captured.logger);
    try {
      console.log('order %s has %d lines', 'A-1', 3);
      console.info('info', { id: 7 });
      console.warn('careful');
      console.error(new Error('broke'));
      console.debug('detail %j', { a: 1 });
      console.dir({ nested: { deep: true } });
    } finally {
      restore();
    }

    const lines = captured.lines();
    assert.deepEqual(
      lines.map((line) => [line.level, line.category, line.msg]),
      [
        ['info', 'console', 'order A-1 has 3 lines'],
        ['info', 'console', 'info { id: 7 }'],
        ['warn', 'console', 'careful'],
        ['error', 'console', lines[3]?.msg],
        ['debug', 'console', 'detail {"a":1}'],
        ['info', 'console', '{ nested: { deep: true } }'],
      ],
    );
    assert.match(String(lines[3]?.msg), /^Error: broke\n\s+at /, 'an error prints with its stack');
  });

  it("logs console.trace at debug with the caller's stack", () => {
    const captured = captureLogger('debug');
    const restore = captureConsole(captured.logger);
    function callerOfTrace(): void {
      console.trace('here %d', 1);
    }
    try {
      callerOfTrace();
    } finally {
      restore();
    }

    const [line] = captured.lines();
    assert.equal(line?.level, 'debug');
    assert.equal(line?.msg, 'Trace: here 1');
    assert.match(String(line?.stack), /^\s+at callerOfTrace /);
  });

  it('keeps debug and trace out below the logger level, as the host filters them', () => {
    const captured = captureLogger('info');
    const restore = captureConsole(captured.logger);
    try {
      console.debug('hidden');
      console.trace('hidden too');
      console.log('shown');
    } finally {
      restore();
    }

    assert.deepEqual(
      captured.lines().map((line) => line.msg),
      ['shown'],
    );
  });

  it('writes nothing raw to stdout or stderr while captured, and restores the console', () => {
    const originalLog = console.log;
    const write = mock.method(process.stdout, 'write', () => true);
    const writeError = mock.method(process.stderr, 'write', () => true);
    const captured = captureLogger();
    const restore = captureConsole(captured.logger);
    try {
      console.log('not raw');
      console.error('not raw either');
    } finally {
      restore();
      write.mock.restore();
      writeError.mock.restore();
    }

    assert.equal(write.mock.callCount(), 0);
    assert.equal(writeError.mock.callCount(), 0);
    assert.equal(captured.lines().length, 2);
    assert.equal(console.log, originalLog);
  });

  it('sends console calls made by the logger itself to the original console, once', () => {
    const original = mock.method(console, 'log', () => undefined);
    const echoing: Logger = {
      debug: () => undefined,
      info: (message) => console.log(`logger wrote: ${message}`),
      warn: () => undefined,
      error: () => undefined,
      child: () => echoing,
    };
    const restore = captureConsole(echoing);
    try {
      console.log('from the app');
    } finally {
      restore();
    }

    assert.deepEqual(
      original.mock.calls.map((call) => call.arguments),
      [['logger wrote: from the app']],
    );
    original.mock.restore();
  });
});
