import type { Connection } from '../amqp/rhea';

/**
 * Unsent bytes past which a connection gets no further deliveries. A broker over TCP stops
 * transferring when its send window is full; rhea writes whatever it is given, so without this
 * a client that stops reading would collect every message in a socket buffer that no one reads,
 * again each time a lock ran out (trial AJ M3).
 */
const HIGH_WATER_BYTES = 1 << 20;

type Socket = NonNullable<Connection['socket']>;

/**
 * The unsent bytes of one connection: what its socket still buffers plus the deliveries handed
 * to rhea in this turn, which rhea writes only on its next tick. Past the high-water mark its
 * receivers are skipped, so the messages go to other receivers; `resume` runs once the socket
 * has drained.
 */
export class OutgoingBackPressure {
  private queuedBytes = 0;
  private flushScheduled = false;
  private waiting = false;

  constructor(
    private readonly socket: Socket | undefined,
    private readonly resume: () => void,
  ) {}

  full(): boolean {
    const socket = this.socket;
    if (socket === undefined) return false;
    if (socket.writableLength + this.queuedBytes <= HIGH_WATER_BYTES) return false;
    this.waitForRoom(socket);
    return true;
  }

  /** A delivery of `bytes` was handed to rhea. */
  queued(bytes: number): void {
    this.queuedBytes += bytes;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // The send just made registered rhea's write for this turn before this tick, so by the time
    // it runs the bytes are in the socket's own count.
    process.nextTick(() => {
      this.flushScheduled = false;
      this.queuedBytes = 0;
    });
  }

  private waitForRoom(socket: Socket): void {
    if (this.waiting) return;
    this.waiting = true;
    const wake = (): void => {
      this.waiting = false;
      this.resume();
    };
    // After rhea's write of this turn: only a socket that still holds too much is waited for
    // ('drain' comes once it is empty); otherwise the turn's own deliveries were the excess.
    process.nextTick(() => {
      if (socket.writableLength > HIGH_WATER_BYTES) socket.once('drain', wake);
      else setImmediate(wake);
    });
  }
}
