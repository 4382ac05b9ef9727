/** Why a connection's byte stream was refused, before rhea buffers any of it. */
export interface FrameViolation {
  reason: 'frame too large' | 'frame too small';
  frameSizeBytes: number;
}

const HEADER_BYTES = 8;
const PROTOCOL_HEADER_TAG = 'AMQP';

/**
 * Follows the AMQP/SASL frame boundaries of one connection's incoming bytes. rhea trusts the
 * 4-byte size of each frame and buffers until that many bytes arrived (up to 4 GB), whatever
 * max-frame-size we advertised; this sees the size first so the connection can be dropped.
 */
export class FrameGuard {
  private pendingHeader = Buffer.alloc(0);
  private bodyBytesLeft = 0;

  constructor(private readonly maxFrameSizeBytes: number) {}

  /** Consumes a chunk; returns the first violation found in it, if any. */
  inspect(chunk: Buffer): FrameViolation | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyBytesLeft > 0) {
        const step = Math.min(this.bodyBytesLeft, chunk.length - offset);
        this.bodyBytesLeft -= step;
        offset += step;
        continue;
      }

      const wanted = chunk.subarray(offset, offset + HEADER_BYTES - this.pendingHeader.length);
      offset += wanted.length;
      this.pendingHeader = Buffer.concat([this.pendingHeader, wanted]);
      if (this.pendingHeader.length < HEADER_BYTES) return undefined;

      const header = this.pendingHeader;
      this.pendingHeader = Buffer.alloc(0);
      // A protocol header (8 bytes, "AMQP" + id + version) starts the SASL and AMQP layers.
      if (header.subarray(0, 4).toString('latin1') === PROTOCOL_HEADER_TAG) continue;

      const frameSizeBytes = header.readUInt32BE(0);
      if (frameSizeBytes > this.maxFrameSizeBytes) {
        return { reason: 'frame too large', frameSizeBytes };
      }
      if (frameSizeBytes < HEADER_BYTES) return { reason: 'frame too small', frameSizeBytes };
      this.bodyBytesLeft = frameSizeBytes - HEADER_BYTES;
    }
    return undefined;
  }
}
