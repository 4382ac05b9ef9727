import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Writes every byte of the buffers, in order from the file's position, or throws the system's
 * error. Node reports a write that the system cut short (a full disk, a file size limit) as a
 * short count, without the error that stopped it; writing the rest makes the system say why,
 * with its code (ENOSPC, EFBIG), and keeps a caller from taking part of a file for all of it.
 */
export async function writeWhole(file: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    const { bytesWritten } = await file.writev(rest);
    if (bytesWritten === 0) throw new Error('the file took no bytes of a write');
    rest = withoutFirstBytes(rest, bytesWritten);
  }
}

function withoutFirstBytes(buffers: Buffer[], bytes: number): Buffer[] {
  let skipped = 0;
  for (const [index, buffer] of buffers.entries()) {
    if (skipped + buffer.length > bytes) {
      return [buffer.subarray(bytes - skipped), ...buffers.slice(index + 1)];
    }
    skipped += buffer.length;
  }
  return [];
}

/** `writeWhole` for a descriptor, synchronously: the entity log writes one change at a time. */
export function writeWholeSync(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) {
    const count = writeSync(fd, bytes, written);
    if (count === 0) throw new Error('the file took no bytes of a write');
    written += count;
  }
}
