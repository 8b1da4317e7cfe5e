/**
 * Server-sent events (`text/event-stream`) read with `fetch()` instead of `EventSource`, because EventSource cannot
 * send an `Authorization` header and the API token must never travel in a URL.
 *
 * {@link SseParser} implements the parsing and dispatch rules of WHATWG HTML §9.2.6 "Interpreting an event stream"
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * - one leading U+FEFF BOM is dropped; lines end with CRLF, LF or CR (a CR at the end of one chunk followed by an
 *   LF at the start of the next is one line end);
 * - an empty line dispatches the event; a line starting with `:` is a comment; `field:value` strips one leading
 *   space from the value; a line without `:` is a field with an empty value;
 * - `event` sets the type (default `message`), `data` appends the value and a LF, `id` sets the last event id
 *   (ignored when the value holds U+0000), `retry` sets the reconnection time when the value is ASCII digits only;
 *   other fields are ignored;
 * - on dispatch the last event id is updated; an event with an empty data buffer is not dispatched; the final LF
 *   of the data is removed; an unterminated event at the end of the stream is discarded.
 *
 * Bounds: a line or a data buffer longer than {@link MAX_SSE_BUFFER_CHARS} is dropped (the event is discarded and
 * `onOverflow` is told), so a broken server cannot grow the page's memory without end.
 */

/** Largest line, and largest data buffer of one event, in UTF-16 code units (4 Mi). */
export const MAX_SSE_BUFFER_CHARS = 4 * 1024 * 1024;

/** One dispatched message. */
export interface SseMessage {
  /** The `event` field, or `message`. */
  readonly event: string;
  /** The data lines joined with LF. */
  readonly data: string;
  /** The last event id as of this message ('' when none was ever set). */
  readonly lastEventId: string;
}

/** Callbacks of {@link SseParser}. */
export interface SseHandlers {
  onMessage(m: SseMessage): void;
  /** A valid `retry:` field, in milliseconds. */
  onRetry?(ms: number): void;
  /** A comment line (text after the colon, leading space kept). */
  onComment?(text: string): void;
  /** A line or event was dropped for exceeding {@link MAX_SSE_BUFFER_CHARS}. */
  onOverflow?(): void;
}

/** Incremental event-stream parser: feed decoded text with {@link push}; call {@link end} at the end of the stream. */
export class SseParser {
  private line = '';
  private data = '';
  private hasData = false;
  private eventType = '';
  private lastEventIdBuffer = '';
  private lastEventId = '';
  private bomChecked = false;
  private pendingCr = false;
  private skipEvent = false;

  constructor(private readonly h: SseHandlers) {}

  /** The last event id seen (for `Last-Event-ID` when reconnecting). */
  get lastId(): string {
    return this.lastEventId;
  }

  /** Feeds a chunk of decoded text (any split, even inside a CRLF pair or a multi-unit character). */
  push(chunk: string): void {
    let s = chunk;
    if (!this.bomChecked && s.length > 0) {
      this.bomChecked = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    let i = 0;
    if (this.pendingCr && s.length > 0) {
      this.pendingCr = false;
      if (s.charCodeAt(0) === 10) i = 1;
    }
    const n = s.length;
    while (i < n) {
      let j = i;
      while (j < n) {
        const c = s.charCodeAt(j);
        if (c === 10 || c === 13) break;
        j++;
      }
      if (j === n) {
        this.appendLine(s.slice(i));
        return;
      }
      this.appendLine(s.slice(i, j));
      const full = this.line;
      this.line = '';
      this.processLine(full);
      if (s.charCodeAt(j) === 13) {
        if (j + 1 === n) {
          this.pendingCr = true;
          return;
        }
        if (s.charCodeAt(j + 1) === 10) j++;
      }
      i = j + 1;
    }
  }

  /** The stream ended: an event not yet terminated by an empty line is discarded (§9.2.6). */
  end(): void {
    this.line = '';
    this.resetEvent();
    this.pendingCr = false;
  }

  private appendLine(part: string): void {
    if (part.length === 0) return;
    if (this.line.length + part.length > MAX_SSE_BUFFER_CHARS) {
      this.line = '';
      this.skipEvent = true;
      this.h.onOverflow?.();
      return;
    }
    this.line += part;
  }

  private resetEvent(): void {
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    this.skipEvent = false;
  }

  private processLine(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      this.h.onComment?.(line.slice(1));
      return;
    }
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        if (this.data.length + value.length + 1 > MAX_SSE_BUFFER_CHARS) {
          this.data = '';
          this.hasData = false;
          this.skipEvent = true;
          this.h.onOverflow?.();
          break;
        }
        this.data += `${value}\n`;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventIdBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.h.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    this.lastEventId = this.lastEventIdBuffer;
    if (!this.hasData || this.skipEvent) {
      this.resetEvent();
      return;
    }
    const data = this.data.endsWith('\n') ? this.data.slice(0, -1) : this.data;
    const event = this.eventType === '' ? 'message' : this.eventType;
    this.resetEvent();
    this.h.onMessage({ event, data, lastEventId: this.lastEventId });
  }
}

/** Parses a whole event-stream text at once (tests, small bodies). */
export function parseEventStream(text: string): SseMessage[] {
  const out: SseMessage[] = [];
  const p = new SseParser({ onMessage: (m) => out.push(m) });
  p.push(text);
  p.end();
  return out;
}
