/**
 * The event-stream parser against the examples of WHATWG HTML §9.2 (server-sent events) and, with fast-check,
 * against a model: any list of messages written in the event-stream format (any of the three line-end styles,
 * comments, a BOM, any chunking) parses back to the same messages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SSE_BUFFER_CHARS, SseParser, parseEventStream, type SseMessage } from './sse';

const msg = (data: string, event = 'message', lastEventId = ''): SseMessage => ({ event, data, lastEventId });

describe('SseParser: the examples of WHATWG HTML §9.2.6', () => {
  it('joins data lines with LF (the stock-ticker example)', () => {
    expect(parseEventStream('data: YHOO\ndata: +2\ndata: 10\n\n')).toEqual([msg('YHOO\n+2\n10')]);
  });

  it('handles comments, ids and the id reset (second example); drops the unterminated last block', () => {
    const text = ': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n';
    expect(parseEventStream(text)).toEqual([msg('first event', 'message', '1'), msg('second event', 'message', '')]);
  });

  it('dispatches empty data and a single newline (third example)', () => {
    expect(parseEventStream('data\n\ndata\ndata\n\ndata:')).toEqual([msg(''), msg('\n')]);
  });

  it('treats "data:test" and "data: test" alike (fourth example)', () => {
    expect(parseEventStream('data:test\n\ndata: test\n\n')).toEqual([msg('test'), msg('test')]);
  });

  it('reads the IPqSEC stream as the server writes it (src/server/stream.ts)', () => {
    const text = ': ipqsec stream\nretry: 5000\n\nevent: event\ndata: {"id":"e1"}\n\n: heartbeat\n\nevent: alert\ndata: {"id":"a1"}\n\nevent: dropped\ndata: {"dropped":3}\n\n';
    const retries: number[] = [];
    const comments: string[] = [];
    const out: SseMessage[] = [];
    const p = new SseParser({ onMessage: (m) => out.push(m), onRetry: (ms) => retries.push(ms), onComment: (c) => comments.push(c) });
    p.push(text);
    expect(out).toEqual([msg('{"id":"e1"}', 'event'), msg('{"id":"a1"}', 'alert'), msg('{"dropped":3}', 'dropped')]);
    expect(retries).toEqual([5000]);
    expect(comments).toEqual([' ipqsec stream', ' heartbeat']);
  });

  it('ignores unknown fields, a retry that is not digits, and an id holding NUL', () => {
    const retries: number[] = [];
    const out: SseMessage[] = [];
    const p = new SseParser({ onMessage: (m) => out.push(m), onRetry: (ms) => retries.push(ms) });
    p.push('foo: bar\nretry: 10s\nretry: 250\nid: a\u0000b\ndata: x\n\n');
    expect(out).toEqual([msg('x')]);
    expect(retries).toEqual([250]);
  });

  it('strips one leading BOM only, and one space after the colon only', () => {
    expect(parseEventStream('\uFEFFdata: a\n\n')).toEqual([msg('a')]);
    expect(parseEventStream('\uFEFF\uFEFFdata: a\n\ndata: b\n\n')).toEqual([msg('b')]);
    expect(parseEventStream('data:   a\n\n')).toEqual([msg('  a')]);
  });

  it('counts CR then LF split across chunks as one line end', () => {
    const out: SseMessage[] = [];
    const p = new SseParser({ onMessage: (m) => out.push(m) });
    p.push('data: a\r');
    p.push('\ndata: b\r');
    p.push('\n\r');
    p.push('\n');
    expect(out).toEqual([msg('a\nb')]);
  });

  it('drops a line longer than the cap and the event it belongs to, then carries on', () => {
    let overflows = 0;
    const out: SseMessage[] = [];
    const p = new SseParser({ onMessage: (m) => out.push(m), onOverflow: () => overflows++ });
    const big = 'x'.repeat(MAX_SSE_BUFFER_CHARS / 2 + 1);
    p.push('data: ');
    p.push(big);
    p.push(big);
    p.push('\n\ndata: after\n\n');
    expect(overflows).toBe(1);
    expect(out).toEqual([msg('after')]);
  });
});

/** Field values: no CR, LF (they end lines) and no NUL (ids with NUL are ignored). */
const value = fc.string({ maxLength: 20, unit: 'binary' }).map((s) => s.replace(/[\r\n]/g, '').replaceAll('\u0000', ''));
const message = fc.record({
  event: fc.option(value.filter((s) => s !== ''), { nil: undefined }),
  lines: fc.array(value, { minLength: 1, maxLength: 4 }),
  id: fc.option(value, { nil: undefined }),
  comment: fc.option(value, { nil: undefined }),
});

describe('SseParser: written messages parse back (property)', () => {
  it('for any messages, line-end style, BOM and chunking', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), (msgs, eol, bom, cuts) => {
        let text = bom ? '\uFEFF' : '';
        const expected: SseMessage[] = [];
        let lastId = '';
        for (const m of msgs) {
          if (m.comment !== undefined) text += `:${m.comment}${eol}`;
          if (m.event !== undefined) text += `event: ${m.event}${eol}`;
          for (const l of m.lines) text += `data: ${l}${eol}`;
          if (m.id !== undefined) {
            text += `id: ${m.id}${eol}`;
            lastId = m.id;
          }
          text += eol;
          expected.push({ event: m.event ?? 'message', data: m.lines.join('\n'), lastEventId: lastId });
        }
        // Whole text, then the same text in arbitrary chunks.
        expect(parseEventStream(text)).toEqual(expected);
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const out: SseMessage[] = [];
        const p = new SseParser({ onMessage: (x) => out.push(x) });
        let at = 0;
        for (const c of [...points, text.length]) {
          p.push(text.slice(at, c));
          at = c;
        }
        p.end();
        expect(out).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on arbitrary input and dispatches only after an empty line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (s) => {
        const out = parseEventStream(s);
        expect(out.length).toBeLessThanOrEqual((s.match(/\r\n|\r|\n/g) ?? []).length);
      }),
      { numRuns: 500 },
    );
  });
});
