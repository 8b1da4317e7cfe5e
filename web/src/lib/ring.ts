/**
 * A bounded buffer of records with unique ids, oldest first: pushing beyond the capacity drops the oldest record.
 * Pushes are O(1) (a circular array plus an id → record map); {@link RecordRing.upsert} of a record already held
 * scans the buffer (O(n), for rare updates such as an acknowledged alert). Memory: at most `capacity` records.
 */
export class RecordRing<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private count = 0;
  private readonly byId = new Map<string, T>();

  constructor(
    readonly capacity: number,
    private readonly idOf: (x: T) => string,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.buf = new Array<T | undefined>(capacity);
  }

  /** Number of records held. */
  get size(): number {
    return this.count;
  }

  /** True when a record with this id is held. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The record with this id, or undefined. */
  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  /** The i-th record, oldest first (0 ≤ i < size). */
  at(i: number): T {
    return this.buf[(this.head + i) % this.capacity] as T;
  }

  /** Appends a record unless one with its id is held; returns false when it was a duplicate. */
  push(x: T): boolean {
    const id = this.idOf(x);
    if (this.byId.has(id)) return false;
    if (this.count === this.capacity) {
      const old = this.buf[this.head] as T;
      this.byId.delete(this.idOf(old));
      this.buf[this.head] = x;
      this.head = (this.head + 1) % this.capacity;
    } else {
      this.buf[(this.head + this.count) % this.capacity] = x;
      this.count++;
    }
    this.byId.set(id, x);
    return true;
  }

  /** Replaces the record with the same id in place, or appends it. */
  upsert(x: T): void {
    const id = this.idOf(x);
    if (!this.byId.has(id)) {
      this.push(x);
      return;
    }
    for (let i = 0; i < this.count; i++) {
      const k = (this.head + i) % this.capacity;
      if (this.idOf(this.buf[k] as T) === id) {
        this.buf[k] = x;
        break;
      }
    }
    this.byId.set(id, x);
  }

  /**
   * Merges records (e.g. an older page fetched over REST) with those held: duplicates are skipped, everything is
   * ordered by `key` ascending (stable), and only the newest `capacity` are kept. O((n + m) log(n + m)).
   */
  merge(items: readonly T[], key: (x: T) => number): void {
    const all = this.toArray();
    const seen = new Set(this.byId.keys());
    for (const x of items) {
      const id = this.idOf(x);
      if (seen.has(id)) continue;
      seen.add(id);
      all.push(x);
    }
    all.sort((a, b) => key(a) - key(b));
    this.clear();
    for (const x of all.slice(Math.max(0, all.length - this.capacity))) this.push(x);
  }

  /** The records, oldest first (a copy). */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.at(i);
    return out;
  }

  /** The records, newest first (a copy). */
  newestFirst(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.at(this.count - 1 - i);
    return out;
  }

  /** Drops every record. */
  clear(): void {
    this.buf = new Array<T | undefined>(this.capacity);
    this.head = 0;
    this.count = 0;
    this.byId.clear();
  }
}
