/**
 * In-memory allow/block list state: the detection core's mirror of the store's `list_entries`.
 *
 * Rules:
 * 1. Never both: an entity sits on at most one list. State is one map entity → entry, so this holds by
 *    construction.
 * 2. Manual wins: an operator's (`manual`) entry is never replaced, removed or contradicted by an `auto` put,
 *    on either list; an auto put against a manual entry is refused (`put` returns false).
 * 3. A manual put always succeeds (within the bound below) and replaces whatever the entity had, on either list:
 *    an auto entry, or an earlier manual entry (the operator's latest decision stands).
 * 4. Auto never unblocks: an auto allow is refused while the entity is blocked (auto or manual). An auto block
 *    replaces an auto allow.
 * 5. `remove(list, entity)` removes the entity's entry from that list whatever its source (it is the operator's
 *    delete).
 * 6. {@link ListsState.autoUpdate}, for a device risk class:
 *    - High: auto-block (replacing an auto allow), unless the entity has a manual entry or is already blocked;
 *    - Low for at least `allowAfterMs` (default 24 h): auto-allow, unless the entity has any entry;
 *    - Medium, or Low for less: nothing.
 *    Auto blocks do not expire: only an operator lifts them. An auto allow is withdrawn only by an auto block
 *    (High) or an operator.
 *
 * Bound: at most `maxEntries` (default 100,000) entries are created by auto puts; a new auto entry beyond it is
 * refused (an auto put that replaces the entity's existing entry is not new and still succeeds). Manual entries
 * are accepted beyond `maxEntries`, up to a hard bound of 2 · `maxEntries`: an operator's decision must not be
 * lost because detectors filled the table, yet memory stays bounded. Nothing is evicted.
 *
 * Mirroring the store: after every accepted `put` (and for every entry `autoUpdate` returns) the entity is on
 * no other list, so the store is kept in step with `putListEntry(e)` and `deleteListEntry(oppositeList(e.list),
 * e.entity)`. `remove` maps to `deleteListEntry`.
 *
 * Cost: `isBlocked`, `isAllowed`, `get`, `put`, `remove`, `autoUpdate` are O(1); `entries(list)` is O(size).
 */
import type { ListEntry, ListName, RiskClass } from '../core/records.js';

/** Options of {@link ListsState}. */
export interface ListsStateOptions {
  /** Entries auto puts may create at most, positive integer; manual entries up to twice it. Default 100,000. */
  readonly maxEntries: number;
  /** A device Low for at least this long (ms) is auto-allowed. Default 86,400,000 (24 h). */
  readonly allowAfterMs: number;
}

/** Defaults of {@link ListsStateOptions}. */
export const LISTS_DEFAULTS: Readonly<ListsStateOptions> = Object.freeze({ maxEntries: 100_000, allowAfterMs: 86_400_000 });

/** The other list: `allow` ↔ `block`. */
export function oppositeList(list: ListName): ListName {
  return list === 'allow' ? 'block' : 'allow';
}

const NO_ENTRIES: readonly ListEntry[] = Object.freeze([]);

/** Allow/block lists with the manual-wins and never-both rules; see the file comment. */
export class ListsState {
  /** The options in force (defaults merged). */
  readonly options: Readonly<ListsStateOptions>;
  private readonly byEntity = new Map<string, ListEntry>();

  /** @throws RangeError when `maxEntries` is not a positive integer or `allowAfterMs` is negative. */
  constructor(options: Partial<ListsStateOptions> = {}) {
    const o = { ...LISTS_DEFAULTS, ...options };
    if (!Number.isSafeInteger(o.maxEntries) || o.maxEntries < 1) throw new RangeError(`ListsState: maxEntries must be a positive integer, got ${o.maxEntries}`);
    if (!(o.allowAfterMs >= 0) || !Number.isFinite(o.allowAfterMs)) throw new RangeError(`ListsState: allowAfterMs must be ≥ 0, got ${o.allowAfterMs}`);
    this.options = Object.freeze(o);
  }

  /** Number of entries on both lists together. */
  get size(): number {
    return this.byEntity.size;
  }

  /**
   * Replaces the state with `entries` (as read from the store). Manual entries are applied before auto ones and,
   * within each source, oldest first, through the rules of {@link put}; so a store that holds conflicting rows
   * (an entity on both lists) resolves to manual over auto, then newest over older. Returns the entries that were
   * not kept (refused or superseded), which the caller may delete from the store.
   * @throws TypeError when an entry has an unknown list or source.
   */
  load(entries: readonly ListEntry[]): ListEntry[] {
    this.byEntity.clear();
    const order = [...entries].sort((a, b) => (a.source === b.source ? a.created_ms - b.created_ms : a.source === 'manual' ? -1 : 1));
    for (const e of order) this.put(e);
    return entries.filter((e) => this.byEntity.get(e.entity) !== e);
  }

  /** True when `entity` is on the block list. */
  isBlocked(entity: string): boolean {
    return this.byEntity.get(entity)?.list === 'block';
  }

  /** True when `entity` is on the allow list. */
  isAllowed(entity: string): boolean {
    return this.byEntity.get(entity)?.list === 'allow';
  }

  /** The entry of `entity` on `list`, or `undefined`. */
  get(list: ListName, entity: string): ListEntry | undefined {
    const e = this.byEntity.get(entity);
    return e !== undefined && e.list === list ? e : undefined;
  }

  /** Every entry of `list`, in the order they were put (oldest first). O(size). */
  entries(list: ListName): ListEntry[] {
    const out: ListEntry[] = [];
    for (const e of this.byEntity.values()) if (e.list === list) out.push(e);
    return out;
  }

  /**
   * Puts `entry` under the rules of the file comment. Returns true when it was stored, false when refused (an
   * auto entry against a manual one, an auto allow of a blocked entity, or the bound reached). On success the
   * entity is on no other list.
   * @throws TypeError when `entry.list` or `entry.source` is unknown or `entry.entity` is empty.
   */
  put(entry: ListEntry): boolean {
    if (entry.list !== 'allow' && entry.list !== 'block') throw new TypeError(`ListsState.put: unknown list ${String(entry.list)}`);
    if (entry.source !== 'manual' && entry.source !== 'auto') throw new TypeError(`ListsState.put: unknown source ${String(entry.source)}`);
    if (typeof entry.entity !== 'string' || entry.entity.length === 0) throw new TypeError('ListsState.put: entity must be a non-empty string');
    const cur = this.byEntity.get(entry.entity);
    const max = this.options.maxEntries;
    if (entry.source === 'manual') {
      if (cur === undefined && this.byEntity.size >= 2 * max) return false;
    } else {
      if (cur !== undefined) {
        if (cur.source === 'manual') return false;
        if (entry.list === 'allow' && cur.list === 'block') return false;
      } else if (this.byEntity.size >= max) {
        return false;
      }
    }
    if (cur !== undefined) this.byEntity.delete(entry.entity); // keep `entries()` in put order
    this.byEntity.set(entry.entity, entry);
    return true;
  }

  /** Removes `entity` from `list` whatever the entry's source; true when it was there. */
  remove(list: ListName, entity: string): boolean {
    const cur = this.byEntity.get(entity);
    if (cur === undefined || cur.list !== list) return false;
    this.byEntity.delete(entity);
    return true;
  }

  /**
   * Applies the automatic rules for a device whose risk class is `riskClass` at `nowMs` (rule 6 of the file
   * comment). `lowSinceMs` is since when the device has been Low (`SensorRiskTracker.lowSinceMs`), `null` when
   * unknown or not Low. Returns the entries it put, to persist (empty, and shared, when nothing changed); for
   * each, the store must also drop the entity from the opposite list.
   */
  autoUpdate(entity: string, riskClass: RiskClass, lowSinceMs: number | null, nowMs: number): readonly ListEntry[] {
    const cur = this.byEntity.get(entity);
    if (riskClass === 'High') {
      if (cur !== undefined && (cur.source === 'manual' || cur.list === 'block')) return NO_ENTRIES;
      const e: ListEntry = { list: 'block', entity, source: 'auto', reason: 'device risk class High', created_ms: nowMs };
      return this.put(e) ? [e] : NO_ENTRIES;
    }
    if (riskClass === 'Low' && cur === undefined && lowSinceMs !== null && nowMs - lowSinceMs >= this.options.allowAfterMs) {
      const hours = Math.round((this.options.allowAfterMs / 3_600_000) * 10) / 10;
      const e: ListEntry = { list: 'allow', entity, source: 'auto', reason: `device risk class Low for ${hours} h`, created_ms: nowMs };
      return this.put(e) ? [e] : NO_ENTRIES;
    }
    return NO_ENTRIES;
  }
}
