/**
 * Message ids seen within the entity's duplicate-detection window. Ids expire in arrival
 * order, so a FIFO of (id, time) keeps the purge cheap whatever the backlog.
 */
export class DuplicateDetector {
  private readonly seenAtMs = new Map<string, number>();
  private order: string[] = [];
  private head = 0;

  constructor(private readonly windowMs: number) {}

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
