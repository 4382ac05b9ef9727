import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { REPO_ROOT } from '../worker/support';

// Issue 7, soak: the short CI version of benchmarks/soak.ts (40 orders, faults, kills, restarts).

describe('soak (short)', () => {
  it('neither loses nor double-applies through faults, worker kills and broker restarts', () => {
    const script = join(REPO_ROOT, 'dist', 'benchmarks', 'soak.js');
    const result = spawnSync(process.execPath, [script, '40', '3'], {
      encoding: 'utf8',
      timeout: 170_000,
    });
    const figures = JSON.parse(result.stdout.split('\n')[0] ?? '{}') as Record<string, number>;
    // A good order in the dead-letter queue counts as lost; none is expected there at all.
    assert.equal(figures.lost, 0, result.stdout + result.stderr);
    assert.equal(figures.deadLettered, 0, result.stdout);
    assert.equal(figures.appliedTwice, 0, result.stdout);
    assert.equal(figures.stockViolations, 0);
    assert.equal(figures.rejected, 2, 'the two bad bodies are rejected');
    assert.ok((figures.workerKills ?? 0) >= 1 && (figures.brokerRestarts ?? 0) >= 1, result.stdout);
    assert.equal(result.status, 0);
  });
});
