/**
 * A map with a fixed capacity that evicts its least recently used entry: the bounded table behind per-source
 * state (network windows, threat memory caches).
 *
 * Recency is the insertion order of a JavaScript `Map` (ECMA-262 §24.1: iteration visits entries in insertion
 * order): a use deletes the key and sets it again, which moves it to the end, so the first entry is always the
 * least recently used. Every operation is O(1) and allocates nothing beyond what `Map` does for a new key.
 */

/** Options of {@link BoundedLru}. */
export interface BoundedLruOptions<K, V> {
  /**
   * Called with each entry evicted for capacity, after it has been removed (so the map is consistent inside the
   * callback). Not called for {@link BoundedLru.delete}, {@link BoundedLru.clear} or when `set` replaces the
   * value of an existing key. An exception it throws propagates out of `set`; the eviction stands.
   */
  readonly onEvict?: (key: K, value: V) => void;
}

/**
 * A least-recently-used map of at most `capacity` entries.
 *
 * - {@link get} and {@link set} make the key the most recently used; {@link peek} and {@link has} do not.
 * - {@link set} of a new key when the map is full evicts the least recently used entry first (counted in
 *   {@link evictions}, reported to `onEvict`).
 * - Iteration ({@link entries}, {@link keys}, {@link values}, `for…of`) runs from least to most recently used
 *   and does not change recency. Do not modify the map while iterating it.
 */
export class BoundedLru<K, V> implements Iterable<[K, V]> {
  /** Largest number of entries held. */
  readonly capacity: number;
  readonly #map = new Map<K, V>();
  readonly #onEvict: ((key: K, value: V) => void) | undefined;
  #evictions = 0;

  /**
   * @param capacity largest number of entries, a positive safe integer.
   * @throws RangeError when `capacity` is not a positive safe integer.
   */
  constructor(capacity: number, options: BoundedLruOptions<K, V> = {}) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`BoundedLru capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#onEvict = options.onEvict;
  }

  /** Number of entries held (≤ {@link capacity}). */
  get size(): number {
    return this.#map.size;
  }

  /** Number of entries evicted for capacity since construction (not reset by {@link clear}). */
  get evictions(): number {
    return this.#evictions;
  }

  /** True when `key` is held. Does not change recency. */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** The value of `key` (or `undefined`), making it the most recently used. */
  get(key: K): V | undefined {
    const map = this.#map;
    const v = map.get(key);
    if (v === undefined && !map.has(key)) return undefined;
    map.delete(key);
    map.set(key, v as V);
    return v;
  }

  /** The value of `key` (or `undefined`) without changing recency. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  /**
   * Inserts or replaces the value of `key` and makes it the most recently used. When `key` is new and the map
   * is full, the least recently used entry is evicted first. Returns `this`.
   */
  set(key: K, value: V): this {
    const map = this.#map;
    if (map.has(key)) {
      map.delete(key);
    } else if (map.size >= this.capacity) {
      const oldest = map.keys().next().value as K;
      const old = map.get(oldest) as V;
      map.delete(oldest);
      this.#evictions++;
      this.#onEvict?.(oldest, old);
    }
    map.set(key, value);
    return this;
  }

  /** Removes `key`; true when it was held. Not an eviction. */
  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Removes every entry (not counted as evictions). */
  clear(): void {
    this.#map.clear();
  }

  /** Keys from least to most recently used. */
  keys(): MapIterator<K> {
    return this.#map.keys();
  }

  /** Values from least to most recently used. */
  values(): MapIterator<V> {
    return this.#map.values();
  }

  /** Entries from least to most recently used. */
  entries(): MapIterator<[K, V]> {
    return this.#map.entries();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map.entries();
  }
}
