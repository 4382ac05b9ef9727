// `npm start`, `npm run worker` and `npm run emulator`: builds the project, then runs the
// `sbworker` command named by the arguments, in this same process.
//
// npm runs a script through `sh -c` and passes SIGTERM and SIGINT on to that shell only. A
// script such as `build && node …` keeps the shell as the parent of the command, and the shell
// dies of the signal without passing it on: the command went on running as an orphan, holding
// the data folder and the emulator port. With one process for both steps the script is a
// single command, which a shell that runs its last command in its own place (bash, so macOS's
// sh) does not wait on: the signal reaches this process. dash (sh on Debian and Ubuntu) still
// waits on it and still dies alone, so this process also watches its parent: once the shell is
// gone, it stops as on SIGTERM. cmd.exe runs the same script unchanged (no `exec` needed).
'use strict';

const { execSync } = require('node:child_process');
const { join } = require('node:path');

/** How often the parent is checked; a quarter second is soon enough for a person or a test. */
const PARENT_CHECK_MS = 250;
/**
 * A shell killed by Ctrl+C dies together with this process's own SIGINT; the check waits this
 * long after seeing the parent gone, so that this process's handler has seen that SIGINT and
 * no second signal (which would force the drain) is sent.
 */
const SIGNAL_SETTLE_MS = 200;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'];
/** npm's shell: when it is gone, npm was stopped. */
const parentPid = process.ppid;

/**
 * On a Heroku dyno the slug is built already and TypeScript is pruned from it, so there is
 * nothing to build (and nothing to build with).
 */
function buildUnlessOnDyno() {
  if (process.env.DYNO !== undefined) return;
  try {
    execSync('npm run build --silent', { stdio: 'inherit' });
  } catch {
    process.exit(1);
  }
}

/** Sends this process SIGTERM when its parent (npm's shell) goes, unless a signal came first. */
function stopWhenParentGoes() {
  let signalled = false;

  const noteSignal = (signal) => {
    signalled = true;
    // Alone, this listener would keep the signal from ending the process (Node's default):
    // while no command handles it, do what Node would have done.
    if (process.listenerCount(signal) > 1) return;
    for (const name of STOP_SIGNALS) process.off(name, noteSignal);
    process.kill(process.pid, signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, noteSignal);

  const check = setInterval(() => {
    if (process.ppid === parentPid) return;

    clearInterval(check);
    setTimeout(() => {
      if (!signalled) process.kill(process.pid, 'SIGTERM');
    }, SIGNAL_SETTLE_MS).unref();
  }, PARENT_CHECK_MS);
  check.unref();
}

stopWhenParentGoes();
buildUnlessOnDyno();
// The build blocks this process, so a signal that ended npm's shell meanwhile went unseen:
// a command told to stop during its build does not start (128 + SIGTERM, as a shell reports).
if (process.ppid !== parentPid) process.exit(143);
require(join(__dirname, '..', 'dist', 'src', 'cli', 'main.js'));
