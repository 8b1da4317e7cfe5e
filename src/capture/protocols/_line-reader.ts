/**
 * Bounded line splitter for the text protocols (HTTP heads, FTP control connections, SSH version lines).
 * Folder-private.
 *
 * Lines end at LF; a CR before the LF is removed (RFC 9112 §2.2 lets a recipient accept a bare LF; RFC 959 and
 * RFC 4253 send CRLF). A line that arrives whole inside one segment is handed out as a view of the caller's bytes
 * (no copy); a line cut by a segment boundary is collected in a buffer of at most `cap` bytes, allocated on first
 * need. Bytes beyond `cap` are dropped and the line is flagged `truncated`, so memory stays bounded whatever the
 * peer sends.
 */

const EMPTY = new Uint8Array(0);

/** Splits a byte stream into lines; see the file comment. Usage:
 * `while (o < end) { o = r.next(data, o, end); if (!r.ready) break; use(r.bytes, r.start, r.end, r.truncated); }` */
export class LineReader {
  /** After `next`: true when a complete line is available in `bytes[start, end)`. */
  ready = false;
  bytes: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  /** The line was longer than `cap` and lost its tail. */
  truncated = false;
  private buf: Uint8Array | null = null;
  private len = 0;
  private over = false;

  constructor(private readonly cap: number) {}

  /** Bytes of an unfinished line held between segments. */
  get pending(): number {
    return this.len;
  }

  /** Scans `data[o, end)` for the end of the current line; returns the offset after the LF (ready) or `end`. */
  next(data: Uint8Array, o: number, end: number): number {
    let lf = o;
    while (lf < end && data[lf] !== 0x0a) lf++;
    if (lf === end) {
      this.store(data, o, end);
      this.ready = false;
      return end;
    }
    if (this.len === 0 && !this.over) {
      this.bytes = data;
      this.start = o;
      this.end = lf;
      this.truncated = false;
    } else {
      this.store(data, o, lf);
      this.bytes = this.buf ?? EMPTY;
      this.start = 0;
      this.end = this.len;
      this.truncated = this.over;
      this.len = 0;
      this.over = false;
    }
    if (this.end > this.start && this.bytes[this.end - 1] === 0x0d) this.end--;
    this.ready = true;
    return lf + 1;
  }

  /** Forgets an unfinished line. */
  reset(): void {
    this.len = 0;
    this.over = false;
    this.ready = false;
  }

  private store(data: Uint8Array, o: number, end: number): void {
    const room = this.cap - this.len;
    let n = end - o;
    if (n > room) {
      n = room;
      this.over = true;
    }
    if (n <= 0) return;
    const need = this.len + n;
    if (this.buf === null || this.buf.length < need) {
      let size = this.buf === null ? 256 : this.buf.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(Math.min(size, this.cap));
      if (this.buf !== null) grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(data.subarray(o, o + n), this.len);
    this.len = need;
  }
}
