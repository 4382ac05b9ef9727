/**
 * Message ids seen within the entity's duplicate-detection window. Ids expire in arrival
 * order, so a FIFO of (id, time) keeps the purge cheap whatever the backlog.
 */
export class DuplicateDetector {
  private readonly seenAtMs = new Map<string, number>();
  private order: string[] = [];
  private head = 0;

  constructor(private windowMs: number) {}

  /**
   * A new window applies to the ids already seen: those still inside it stay duplicates, a
   * shorter window lets older ones go at the next check.
   */
  changeWindow(windowMs: number): void {
    this.windowMs = windowMs;
  }

  /** Puts back an id read from the journal (call in the order they were seen). */
  restore(messageId: string, seenAtMs: number): void {
    if (this.seenAtMs.has(messageId)) return;
    this.seenAtMs.set(messageId, seenAtMs);
    this.order.push(messageId);
  }

  /** How many ids it holds, those past the window and not yet purged included. */
  get size(): number {
    return this.seenAtMs.size;
  }

  /** The ids still inside the window, oldest first. */
  *entries(nowMs: number): Iterable<[string, number]> {
    this.purge(nowMs);
    for (let i = this.head; i < this.order.length; i++) {
      const id = this.order[i]!;
      const seen = this.seenAtMs.get(id);
      if (seen !== undefined) yield [id, seen];
    }
  }

  /** True when the id was seen within the window; records it otherwise. */
  isDuplicate(messageId: string, nowMs: number): boolean {
    this.purge(nowMs);
    if (this.seenAtMs.has(messageId)) return true;
    this.seenAtMs.set(messageId, nowMs);
    this.order.push(messageId);
    return false;
  }

  private purge(nowMs: number): void {
    while (this.head < this.order.length) {
      const id = this.order[this.head]!;
      const seen = this.seenAtMs.get(id);
      if (seen !== undefined && seen > nowMs - this.windowMs) break;
      this.seenAtMs.delete(id);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
