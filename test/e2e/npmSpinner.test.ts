import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

import { hasScriptCommand } from './support';

/** The project folder, where `npm start` runs (the tests are compiled to dist/test/e2e). */
const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');

/** npm's spinner frames are braille characters (U+2800 to U+28FF). */
const SPINNER_FRAME = /[\u2800-\u28ff]/;

/**
 * Runs an npm command in the project folder on a pseudo-terminal (util-linux `script`), as a
 * user's terminal runs `npm start`: npm draws its spinner only there.
 */
function onTerminal(command: string): Promise<string> {
  // A setting from the environment would override the project's .npmrc either way.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_config_')),
  );
  return new Promise((done, fail) => {
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { cwd: PROJECT_ROOT, env, timeout: 60_000 },
      (error, stdout) => (error === null ? done(stdout) : fail(error)),
    );
  });
}

describe('npm in this project, on a terminal', { skip: !hasScriptCommand() }, () => {
  it('prints no spinner frame below the output of a command that is still running', async () => {
    // Like `npm start` after its summary: output, then a pause while the worker shuts down.
    const script = "console.log('summary printed'); setTimeout(() => {}, 1500)";
    const output = await onTerminal(`npm exec --offline -- node -e "${script}"`);

    assert.match(output, /summary printed/);
    assert.doesNotMatch(output, SPINNER_FRAME);
  });
});
