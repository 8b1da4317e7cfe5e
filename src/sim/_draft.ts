/**
 * The simulator's internal event record (not exported from the folder): a wire event whose `id` the simulator
 * fills in once the output order is known, its time in epoch milliseconds, and the ground-truth instance it
 * belongs to.
 */
import type { EventInput } from '../core/events.js';

/** A wire event with a (still mutable) `id`. */
export type DraftEvent = EventInput & { id: string };

/** One generated event before id assignment. */
export interface Draft {
  /** Event time, epoch ms (integer). */
  readonly tsMs: number;
  readonly event: DraftEvent;
  /** Index of the attack instance in `GroundTruth.scenarios`, or {@link NORMAL}. */
  readonly instance: number;
}

/** `Draft.instance` of normal traffic. */
export const NORMAL = -1;

/** A source of time-ordered-per-source drafts, pulled one simulated slice at a time. */
export interface DraftSource {
  /** Appends every draft with `tsMs < untilMs` not emitted before, in any order. */
  emit(untilMs: number, out: Draft[]): void;
}

/** Uniform float in [lo, hi). */
export function uniform(rng: { next(): number }, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/** Uniform integer in [lo, hi] (inclusive). */
export function intBetween(rng: { int(n: number): number }, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** Zero-padded decimal of `i` with at least `width` digits. */
export function pad(i: number, width: number): string {
  return String(i).padStart(width, '0');
}
