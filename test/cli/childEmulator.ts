import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { namespaceWithDefaults } from '../../src/emulator/config/defaults';

const CHILD = join(__dirname, '..', 'support', 'emulatorChild.js');

export interface ChildEmulator {
  child: ChildProcess;
  port: number;
  connection: string;
}

/** An emulator in a child process, so that a test can stop it answering (SIGSTOP). */
export async function startChildEmulator(
  dataDir: string,
  queues: string[],
): Promise<ChildEmulator> {
  const child = spawn(process.execPath, [CHILD, dataDir, JSON.stringify({ queues })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${String(code)}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  const policy = namespaceWithDefaults().policies[0]!;
  const connection =
    `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=${policy.name};` +
    `SharedAccessKey=${policy.key};UseDevelopmentEmulator=true;`;
  return { child, port, connection };
}
