import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const dirs: string[] = [];
let cleanupRegistered = false;

/** A folder holding only this host.json (text or a value to write as JSON), removed after. */
export function appWithHostJson(hostJson: unknown): string {
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  }
  const dir = mkdtempSync(join(tmpdir(), 'sbworker-host-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'host.json'),
    typeof hostJson === 'string' ? hostJson : JSON.stringify(hostJson),
  );
  return dir;
}
