/**
 * Time-sortable unique ids for events and alerts, in the ULID layout (https://github.com/ulid/spec): 48 bits of
 * epoch milliseconds then 80 random bits, written as 26 Crockford base-32 characters, so that ids sort by
 * creation time as strings. Randomness is injected (`randomBytes`), so pure code and tests stay deterministic.
 */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Makes an id generator.
 *
 * @param randomBytes returns `n` random bytes (node:crypto `randomBytes` in the service, a seeded source in tests)
 * @param nowMs clock in epoch milliseconds
 * @returns a function producing 26-character ids; ids made in the same millisecond are ordered by their random
 *   part only (not monotonic within a millisecond)
 */
export function idGenerator(randomBytes: (n: number) => Uint8Array, nowMs: () => number = Date.now): () => string {
  return () => {
    let t = Math.max(0, Math.floor(nowMs()));
    const out = new Array<string>(26);
    for (let i = 9; i >= 0; i--) {
      out[i] = CROCKFORD[t % 32]!;
      t = Math.floor(t / 32);
    }
    const r = randomBytes(10);
    // 80 bits = 16 base-32 digits: take 5 bits at a time from the byte string.
    let acc = 0;
    let bits = 0;
    let o = 10;
    for (let i = 0; i < 10; i++) {
      acc = (acc << 8) | r[i]!;
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out[o++] = CROCKFORD[(acc >>> bits) & 31]!;
      }
      acc &= (1 << bits) - 1;
    }
    return out.join('');
  };
}
