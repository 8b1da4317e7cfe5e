/**
 * A bounded set of records with unique ids kept in event-time order: ascending by (time, id), the id compared as a
 * string (UTF-16 code units) so that records of the same millisecond have one fixed order. Holding more than the
 * capacity drops the OLDEST BY TIME (not the first to arrive), so the buffer always holds the newest `capacity`
 * records by event time, whatever order they came in (live stream, REST pages, a replayed batch).
 *
 * Costs (n = records held, at most `capacity`): {@link TimeOrderedBuffer.add} is a binary search plus an array
 * insertion, O(log n) comparisons and an O(n) move in the worst case, O(1) when the record is the newest (the
 * usual case for a live stream); {@link TimeOrderedBuffer.addMany} (a REST page of m records) is one sort of the
 * n + m records, nearly sorted, so V8's TimSort runs in about O(n + m log m). Memory: at most `capacity` records plus
 * an id → record map of the same size.
 */

/** Total order of two records by (time, id): negative when `a` comes first (is older), 0 for the same record. */
export function compareByTime<T>(a: T, b: T, tsOf: (x: T) => number, idOf: (x: T) => string): number {
  const d = tsOf(a) - tsOf(b);
  if (d !== 0) return d;
  const ia = idOf(a);
  const ib = idOf(b);
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/** The buffer; see the module comment. */
export class TimeOrderedBuffer<T> {
  private items: T[] = [];
  private readonly byId = new Map<string, T>();
  private readonly cmp: (a: T, b: T) => number;

  /**
   * @param capacity most records held (a positive integer)
   * @param idOf the record's unique id
   * @param tsOf the record's event time (any finite number; epoch ms for events)
   * @throws RangeError when `capacity` is not a positive integer
   */
  constructor(
    readonly capacity: number,
    private readonly idOf: (x: T) => string,
    private readonly tsOf: (x: T) => number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.cmp = (a, b) => compareByTime(a, b, tsOf, idOf);
  }

  /** Number of records held. */
  get size(): number {
    return this.items.length;
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
    return this.items[i];
  }

  /** The newest record, or undefined when empty. */
  newest(): T | undefined {
    return this.items[this.items.length - 1];
  }

  /** Index of the first held record that comes after `x` in (time, id) order (binary search). */
  private upperBound(x: T): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(this.items[mid], x) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Adds a record in its time position. Returns false, leaving the buffer as it was, when a record with its id is
   * held or when the buffer is full and the record is older than every record held (it would be the one dropped).
   */
  add(x: T): boolean {
    const id = this.idOf(x);
    if (this.byId.has(id)) return false;
    const n = this.items.length;
    if (n >= this.capacity && this.cmp(x, this.items[0]) <= 0) return false;
    if (n === 0 || this.cmp(x, this.items[n - 1]) > 0) this.items.push(x);
    else this.items.splice(this.upperBound(x), 0, x);
    this.byId.set(id, x);
    if (this.items.length > this.capacity) this.byId.delete(this.idOf(this.items.shift() as T));
    return true;
  }

  /**
   * Adds many records (e.g. a REST page, any order): records whose id is held (or repeated in `xs`: the first wins)
   * are skipped, and the newest `capacity` of the union are kept. Returns how many of `xs` are held afterwards.
   */
  addMany(xs: readonly T[]): number {
    const fresh: T[] = [];
    const ids = new Set<string>();
    for (const x of xs) {
      const id = this.idOf(x);
      if (this.byId.has(id) || ids.has(id)) continue;
      ids.add(id);
      fresh.push(x);
    }
    if (fresh.length === 0) return 0;
    const all = this.items.concat(fresh).sort(this.cmp);
    const drop = Math.max(0, all.length - this.capacity);
    for (let i = 0; i < drop; i++) {
      const id = this.idOf(all[i]);
      this.byId.delete(id);
      ids.delete(id);
    }
    this.items = drop > 0 ? all.slice(drop) : all;
    for (const x of fresh) if (ids.has(this.idOf(x))) this.byId.set(this.idOf(x), x);
    return ids.size;
  }

  /** Number of held records that come after `x` in (time, id) order (`x` need not be held); O(log n). */
  countAfter(x: T): number {
    return this.items.length - this.upperBound(x);
  }

  /** The records, oldest first (a copy). */
  toArray(): T[] {
    return this.items.slice();
  }

  /** The records, newest first: time descending, then id descending (a copy, O(n)). */
  newestFirst(): T[] {
    const n = this.items.length;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.items[n - 1 - i];
    return out;
  }

  /** Drops every record. */
  clear(): void {
    this.items = [];
    this.byId.clear();
  }
}
