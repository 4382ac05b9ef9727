import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SIMULATED_WORK_MS, simulatedWorkMs } from '../../src/functions/simulateWork';
import { isAppError } from '../../src/shared/errors';

describe('SIMULATED_WORK_MS', () => {
  it('defaults to 200 ms when unset or empty', () => {
    assert.equal(DEFAULT_SIMULATED_WORK_MS, 200);
    assert.equal(simulatedWorkMs({}), 200);
    assert.equal(simulatedWorkMs({ SIMULATED_WORK_MS: ' ' }), 200);
  });

  it('takes a whole number of milliseconds, 0 included', () => {
    assert.equal(simulatedWorkMs({ SIMULATED_WORK_MS: '0' }), 0);
    assert.equal(simulatedWorkMs({ SIMULATED_WORK_MS: '1500' }), 1500);
    assert.equal(simulatedWorkMs({ SIMULATED_WORK_MS: '2147483647' }), 2_147_483_647);
  });

  for (const value of ['abc', '-1', '2.5', '1e3', '0x10', '200ms', '2147483648']) {
    it(`stops start-up on "${value}", naming the setting`, () => {
      assert.throws(
        () => simulatedWorkMs({ SIMULATED_WORK_MS: value }),
        (error: unknown) =>
          isAppError(error) &&
          error.code === 'InvalidConfiguration' &&
          error.message.startsWith('SIMULATED_WORK_MS must be a whole number of milliseconds') &&
          error.message.includes(`"${value}"`),
      );
    });
  }
});
