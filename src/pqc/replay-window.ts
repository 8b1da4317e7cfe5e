/**
 * Sliding-window anti-replay check of one key epoch's message counters, as in IPsec ESP (RFC 4303 §3.4.3) with
 * the block bitmap of RFC 6479 ("IPsec Anti-Replay Algorithm without Bit Shifting").
 *
 * The window remembers the highest counter accepted (`top`) and, in a ring of 32-bit words (`Uint32Array`), one
 * bit per counter in `top − windowSize + 1 … top`. The ring holds `windowSize / 32 + 1` words: the extra word
 * (RFC 6479 §2) means that moving `top` into a new word only clears words that lie wholly below the window, so no
 * bit of the window is lost and nothing is shifted.
 *
 * Use as RFC 4303 prescribes: {@link ReplayWindow.check} before the integrity check (cheap rejection of
 * replays), {@link ReplayWindow.accept} only after the message authenticated (so a forged message with a huge
 * counter cannot move the window). Memory: `4 · (windowSize / 32 + 1)` bytes; both calls are O(1) except that
 * `accept` clears at most `windowSize / 32 + 1` words when `top` jumps.
 */

/** Outcome of {@link ReplayWindow.check}: `ok` (not seen, inside or above the window), `replay` (seen), `stale` (below the window). */
export type ReplayVerdict = 'ok' | 'replay' | 'stale';

/** Default window: 1,024 counters (RFC 6479 recommends at least 1,024 for high-rate links; RFC 4303 requires ≥ 32). */
export const DEFAULT_REPLAY_WINDOW = 1024;

/** Sliding anti-replay window over counters 0 … 2^53 − 1; see the file comment. */
export class ReplayWindow {
  /** Window size in counters (multiple of 32). */
  readonly windowSize: number;
  private readonly bits: Uint32Array;
  private readonly words: number;
  /** Highest accepted counter, −1 before the first. */
  private topSeq = -1;

  /**
   * @param windowSize counters tracked below the highest one, a multiple of 32 in [32, 2^20]; default 1,024
   * @throws RangeError when `windowSize` is out of range
   */
  constructor(windowSize: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(windowSize) || windowSize < 32 || windowSize > 1 << 20 || windowSize % 32 !== 0) {
      throw new RangeError(`windowSize must be a multiple of 32 in [32, 2^20], got ${windowSize}`);
    }
    this.windowSize = windowSize;
    this.words = windowSize / 32 + 1;
    this.bits = new Uint32Array(this.words);
  }

  /** Highest counter accepted so far, or −1. */
  get top(): number {
    return this.topSeq;
  }

  /**
   * Whether `counter` may be accepted: `ok` when above the highest so far or inside the window and not yet seen,
   * `replay` when seen, `stale` when at or below `top − windowSize`. Does not change the window.
   *
   * @throws RangeError when `counter` is not an integer in [0, 2^53)
   */
  check(counter: number): ReplayVerdict {
    if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`counter must be a safe non-negative integer, got ${counter}`);
    if (counter > this.topSeq) return 'ok';
    if (this.topSeq - counter >= this.windowSize) return 'stale';
    const word = Math.floor(counter / 32) % this.words;
    return (this.bits[word]! >>> (counter % 32)) & 1 ? 'replay' : 'ok';
  }

  /**
   * Marks `counter` as seen (after its message authenticated), sliding the window when it is the new highest.
   *
   * @returns false (and changes nothing) when {@link check} would not say `ok`
   * @throws RangeError when `counter` is not an integer in [0, 2^53)
   */
  accept(counter: number): boolean {
    if (this.check(counter) !== 'ok') return false;
    if (counter > this.topSeq) {
      const newBlock = Math.floor(counter / 32);
      const oldBlock = this.topSeq < 0 ? -1 : Math.floor(this.topSeq / 32);
      const steps = Math.min(newBlock - oldBlock, this.words);
      for (let i = 1; i <= steps; i++) this.bits[(newBlock - steps + i) % this.words] = 0;
      this.topSeq = counter;
    }
    const word = Math.floor(counter / 32) % this.words;
    this.bits[word] = this.bits[word]! | (1 << (counter % 32));
    return true;
  }
}
