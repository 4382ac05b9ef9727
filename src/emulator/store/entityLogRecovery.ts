import { closeSync, fdatasyncSync, openSync, readFileSync } from 'node:fs';

import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { EntityChange } from './entityLog';
import { replaceDurably } from './journalRecovery';
import { writeWholeSync } from './writeWhole';

// What the entity log gets once at start-up: read it, and repair what a crash left behind.

/** Every change the log holds is written as one JSON object whose first key is `op`. */
const CHANGE_START = '{"op":';

/**
 * The changes recorded in the entity log at `path`, after repairing what a crash can leave:
 *
 * - A last write cut short: bytes after the last newline, or a last line that does not parse
 *   (written in full, yet not all of it reached the disk). It was never acknowledged; it goes.
 * - A torn line with a whole change appended onto it, which versions before this repair left
 *   when they appended after a crash. The change is kept, the torn bytes go.
 *
 * Each is logged as a warning naming the file, the line and the bytes dropped, never content,
 * and the file is rewritten without them, so the next append starts on a line of its own.
 * @throws AppError `EntityLogDamaged` (not retryable) for any other line that is not a change:
 *   changes replay in order, so skipping one could bring back a deleted entity or lose one
 *   that later changes build on. The operator decides: mend or remove the line, or `--reset`.
 */
export async function recoverEntityChanges(path: string, logger: Logger): Promise<EntityChange[]> {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }

  const lines = splitLines(data);
  // Each append ends with a newline and is synced before the next starts: what follows the
  // last newline was cut short, and of the lines before it only the last can be torn.
  const tail = lines.pop()!;
  const cut = (line: number, droppedBytes: number) =>
    logger.warn('entity log ends with a write cut short by a crash; it is dropped', {
      file: path,
      line,
      droppedBytes,
    });
  if (tail.length > 0) cut(lines.length + 1, tail.length);
  const lastLine = tail.length > 0 ? -1 : lines.findLastIndex((line) => !isBlank(line));

  const changes: EntityChange[] = [];
  const kept: Buffer[] = [];
  let repaired = tail.length > 0;
  for (const [index, line] of lines.entries()) {
    if (isBlank(line)) continue;
    const text = line.toString('utf8');
    const found = parseChange(text) ?? appendedChange(text);
    if (found === undefined && index !== lastLine) throw damaged(path, index + 1);
    if (found === undefined) {
      // Written in full, yet a page of it may not have reached the disk before the crash.
      cut(index + 1, line.length + 1);
      repaired = true;
      continue;
    }

    if (found.text !== text) {
      logger.warn('entity log line starts with a torn write; the change after it is kept', {
        file: path,
        line: index + 1,
        droppedBytes: line.length - found.bytes,
      });
      repaired = true;
    }
    changes.push(found.change);
    kept.push(Buffer.from(`${found.text}\n`));
  }

  if (repaired) await rewrite(path, kept);
  return changes;
}

function isBlank(line: Buffer): boolean {
  return line.toString('utf8').trim() === '';
}

/** The file's lines without their newlines; the last holds what follows the last newline. */
function splitLines(data: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = data.indexOf(0x0a); end >= 0; end = data.indexOf(0x0a, start)) {
    lines.push(data.subarray(start, end));
    start = end + 1;
  }
  lines.push(data.subarray(start));
  return lines;
}

interface FoundChange {
  change: EntityChange;
  /** The change's own text, and its size in bytes. */
  text: string;
  bytes: number;
}

function parseChange(text: string): FoundChange | undefined {
  if (!text.startsWith(CHANGE_START)) return undefined;
  try {
    const value = JSON.parse(text) as { op?: unknown } | null;
    if (typeof value?.op !== 'string') return undefined;
    return { change: value as EntityChange, text, bytes: Buffer.byteLength(text) };
  } catch {
    return undefined;
  }
}

/**
 * The whole change at the end of a line that starts with a torn one. JSON escapes every quote
 * inside a string, so `{"op":` can only be where a change begins; the first such place after
 * the start from which the rest parses is the change that was appended.
 */
function appendedChange(text: string): FoundChange | undefined {
  for (let at = text.indexOf(CHANGE_START, 1); at > 0; at = text.indexOf(CHANGE_START, at + 1)) {
    const found = parseChange(text.slice(at));
    if (found !== undefined) return found;
  }
  return undefined;
}

function damaged(path: string, line: number): AppError {
  return new AppError(
    'EntityLogDamaged',
    `The entity log ${path} is damaged at line ${line}: it is not a recorded entity change, ` +
      'and it is not the last line, so it is no write cut short by a crash. The changes after ' +
      'it build on it, so the emulator does not start. Mend or remove that line, or start ' +
      'with --reset (which also forgets every stored message).',
    { retryable: false },
  );
}

/** Writes the kept lines to a new file and swaps it in, so a crash meanwhile loses nothing. */
async function rewrite(path: string, lines: Buffer[]): Promise<void> {
  const temporary = `${path}.repair`;
  const fd = openSync(temporary, 'w');
  try {
    writeWholeSync(fd, Buffer.concat(lines));
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  await replaceDurably(temporary, path);
}
