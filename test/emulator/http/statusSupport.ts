import assert from 'node:assert/strict';

/**
 * Asserts the call fails as the SDK reports a disabled entity: not retryable, and worded from
 * the client's side as Azure's EntityStatus documentation quotes it ("Sending to {queue|topic}
 * is disabled.", "Receiving from {queue|subscription} is disabled.").
 */
export async function assertDisabled(call: Promise<unknown>, wording: RegExp): Promise<void> {
  await assert.rejects(call, (error: { code?: string; retryable?: boolean; message?: string }) => {
    assert.equal(error.code, 'MessagingEntityDisabled', error.message);
    assert.equal(error.retryable, false);
    assert.match(error.message ?? '', wording);
    return true;
  });
}
