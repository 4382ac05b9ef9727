/**
 * A binary min-heap keyed by a number: timers (lock expiry, TTL, schedule) and requeued seqs.
 * Equal keys come out in the order they went in: messages scheduled for one instant become
 * active, and messages that expire together are dead-lettered, in the order they were given.
 */
export class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly values: T[] = [];
  /** Insertion order, the tie-break between equal keys. */
  private readonly orders: number[] = [];
  private pushed = 0;

  get size(): number {
    return this.keys.length;
  }

  peekKey(): number | undefined {
    return this.keys[0];
  }

  peekValue(): T | undefined {
    return this.values[0];
  }

  push(key: number, value: T): void {
    this.keys.push(key);
    this.values.push(value);
    this.orders.push(this.pushed++);
    this.up(this.keys.length - 1);
  }

  pop(): T | undefined {
    if (this.keys.length === 0) return undefined;
    const top = this.values[0];
    const lastKey = this.keys.pop()!;
    const lastValue = this.values.pop()!;
    const lastOrder = this.orders.pop()!;
    if (this.keys.length > 0) {
      this.keys[0] = lastKey;
      this.values[0] = lastValue;
      this.orders[0] = lastOrder;
      this.down(0);
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    const keyA = this.keys[a]!;
    const keyB = this.keys[b]!;
    return keyA < keyB || (keyA === keyB && this.orders[a]! < this.orders[b]!);
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    const n = this.keys.length;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.before(left, smallest)) smallest = left;
      if (right < n && this.before(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    swapIn(this.keys, a, b);
    swapIn(this.values, a, b);
    swapIn(this.orders, a, b);
  }
}

function swapIn<T>(items: T[], a: number, b: number): void {
  const item = items[a]!;
  items[a] = items[b]!;
  items[b] = item;
}

/**
 * The messages of one lane that can be handed out, in sequence order: new arrivals append to
 * a FIFO (sequence numbers only grow), returned ones (abandon, lock expiry) go to a heap, and
 * the next message is the smaller of the two heads. Entries may be stale (message gone or
 * taken by other means); the caller checks and skips them.
 */
export class Lane {
  private fresh: number[] = [];
  private head = 0;
  private readonly returned = new MinHeap<number>();

  get approximateSize(): number {
    return this.fresh.length - this.head + this.returned.size;
  }

  append(seq: number): void {
    const last = this.fresh[this.fresh.length - 1];
    if (this.head < this.fresh.length && last !== undefined && seq < last) {
      this.returned.push(seq, seq);
      return;
    }
    this.fresh.push(seq);
  }

  giveBack(seq: number): void {
    this.returned.push(seq, seq);
  }

  peek(): number | undefined {
    const freshHead = this.head < this.fresh.length ? this.fresh[this.head] : undefined;
    const returnedHead = this.returned.peekKey();
    if (freshHead === undefined) return returnedHead;
    if (returnedHead === undefined) return freshHead;
    return Math.min(freshHead, returnedHead);
  }

  shift(): number | undefined {
    const freshHead = this.head < this.fresh.length ? this.fresh[this.head] : undefined;
    const returnedHead = this.returned.peekKey();
    if (returnedHead !== undefined && (freshHead === undefined || returnedHead < freshHead)) {
      return this.returned.pop();
    }
    if (freshHead === undefined) return undefined;
    this.head++;
    if (this.head > 4096 && this.head * 2 > this.fresh.length) {
      this.fresh = this.fresh.slice(this.head);
      this.head = 0;
    }
    return freshHead;
  }
}
