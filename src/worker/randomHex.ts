import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/**
 * Random bytes as hex for trace and span ids, drawn from a pool refilled 4 KB at a time:
 * `randomBytes` per id makes one system call per message, a measurable share of a no-op
 * invocation's cost (`randomUUID` pools the same way).
 */
export function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const text = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return text;
}
