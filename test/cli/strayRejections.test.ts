import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

// The module every operator command loads its SDK client from (compiled, next to the tests).
const CLIENTS = resolve(__dirname, '..', '..', 'src', 'cli', 'operator', 'clients.js');

/**
 * A Node process that loads the operator client module, then leaves `rejection` (an
 * expression) with nothing to catch it, and prints `carried on` 200 ms later.
 */
function rejectIn(rejection: string): Promise<{ code: number | null; out: string; err: string }> {
  const script =
    `require(${JSON.stringify(CLIENTS)});` +
    `Promise.reject(${rejection});` +
    "setTimeout(() => console.log('carried on'), 200);";
  return new Promise((done) => {
    execFile(process.execPath, ['-e', script], (error, out, err) => {
      done({ code: error === null ? 0 : (error.code as number), out, err });
    });
  });
}

// What rhea-promise rejects with when a link close the SDK started by itself times out
// (trial CP saw it 30 s after a replay's summary, as a raw Node stack and exit 1).
const CLOSE_TIMED_OUT =
  "Object.assign(new Error(\"Unable to close the receiver 'q/$DeadLetterQueue-1' due to" +
  ' operation timeout"), { name: "OperationTimeoutError", stack: "OperationTimeoutError:' +
  ' Unable to close the receiver\\n    at' +
  ' /app/node_modules/rhea-promise/dist/lib/link.js:238:27" })';

describe('a rejection nothing catches, in an operator command', () => {
  it('is ignored when the AMQP stack left it: the command carries on to its outcome', async () => {
    const result = await rejectIn(CLOSE_TIMED_OUT);

    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, 'carried on\n');
    assert.equal(result.err, '');
  });

  it("ends any other with the CLI's own error line and exit code 1, not a stack", async () => {
    const result = await rejectIn('new Error("boom")');

    assert.equal(result.code, 1);
    assert.equal(result.out, '');
    assert.equal(result.err, 'sbworker: boom\n');
  });
});
