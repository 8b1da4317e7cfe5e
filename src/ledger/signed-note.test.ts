import { expectIpqsec } from '../core/_test-errors.js';
import { createPublicKey, verify as edVerify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import type { NoteVerifier } from './note-signer.js';
import {
  appendSignatureLines,
  formatNote,
  formatSignatureLine,
  formatVerifierKey,
  isValidKeyName,
  keyIdOf,
  MAX_NOTE_SIGNATURES,
  parseNote,
  parseSignatureLine,
  parseVerifierKey,
  signNote,
  verifyNote,
} from './signed-note.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// golang.org/x/mod/sumdb/note note_test.go / example_test.go reference vectors (Ed25519, type 0x01).
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_NOTE = `${PETER_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
// c2sp.org/signed-note and c2sp.org/tlog-cosignature examples.
const C2SP_NOTE =
  'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n';
const C2SP_COSIGNED =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';

/** An Ed25519 (type 0x01) note verifier written with node:crypto, to check parsing against Go's reference note. */
function ed25519Verifier(vkey: string): NoteVerifier {
  const k = parseVerifierKey(vkey);
  expect(k.typeAndKey[0]).toBe(0x01);
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), k.typeAndKey.subarray(1)]);
  const pub = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return { name: k.name, keyId: k.keyId, verify: (m, s) => s.length === 64 && edVerify(null, m, pub, s) };
}

const l004 = (f: () => unknown): Error => expectIpqsec(f, 'IPQ-L004');

describe('verifier keys and key IDs', () => {
  it('parses the Go reference keys, whose key IDs are SHA-256(name || 0x0A || type || key)[:4]', () => {
    const k = parseVerifierKey(PETER_VKEY);
    expect(k.name).toBe('PeterNeumann');
    expect(hex(k.keyId)).toBe('c74f20a3');
    expect(k.typeAndKey.length).toBe(33);
    expect(formatVerifierKey(k.name, k.typeAndKey)).toBe(PETER_VKEY);
    expect(hex(parseVerifierKey(ENOCH_VKEY).keyId)).toBe('af0cfe78');
  });
  it('refuses mangled keys with IPQ-L004', () => {
    const bad = [
      'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T',
      'PeterNeumann+c74f20a3',
      'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+x',
    ];
    for (const b of bad) l004(() => parseVerifierKey(b));
  });
  it('never throws anything but IPQ-L004 on random or damaged keys and signature lines', () => {
    const check = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (!isIpqsecError(e, 'IPQ-L004')) throw e;
      }
    };
    fc.assert(
      fc.property(fc.string({ maxLength: 120, unit: 'binary' }), fc.nat(), (s, at) => {
        check(() => parseVerifierKey(s));
        check(() => parseSignatureLine(s));
        const i = at % PETER_VKEY.length;
        check(() => parseVerifierKey(PETER_VKEY.slice(0, i) + s.slice(0, 2) + PETER_VKEY.slice(i + 1)));
      }),
      { numRuns: 500 },
    );
  });
  it('checks key names: no spaces, no plus, non-empty', () => {
    expect(isValidKeyName('example.com/log')).toBe(true);
    for (const n of ['', 'a b', 'a+b', 'a\u00a0b', 'a\u2003b', 'a\tb', 'a\nb']) expect(isValidKeyName(n), JSON.stringify(n)).toBe(false);
  });
});

describe('parseNote', () => {
  it('parses and verifies the Go reference note with an Ed25519 verifier', () => {
    const n = parseNote(PETER_NOTE);
    expect(n.text).toBe(PETER_TEXT);
    expect(n.signatures).toHaveLength(1);
    expect(n.signatures[0].name).toBe('PeterNeumann');
    expect(hex(n.signatures[0].keyId)).toBe('c74f20a3');
    expect(n.signatures[0].signature.length).toBe(64);
    const peter = ed25519Verifier(PETER_VKEY);
    expect(verifyNote(n, [peter])).toEqual({ verified: ['PeterNeumann'], failed: [], unknown: 0 });
    expect(formatNote(n)).toBe(PETER_NOTE);
    // A changed text fails; an unknown key is ignored.
    expect(verifyNote({ ...n, text: PETER_TEXT.replace('answer', 'Answer') }, [peter]).failed).toEqual(['PeterNeumann']);
    expect(verifyNote(n, [ed25519Verifier(ENOCH_VKEY)])).toEqual({ verified: [], failed: [], unknown: 1 });
  });
  it('parses the C2SP examples (empty lines in the text, several signatures)', () => {
    const n = parseNote(C2SP_NOTE);
    expect(n.text).toBe('Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n');
    expect(n.signatures[0].name).toBe('quasimodo.example/salvatore');
    const c = parseNote(C2SP_COSIGNED);
    expect(c.signatures.map((s) => s.name)).toEqual(['example.com/behind-the-sofa', 'witness.example.com/w1']);
    // The Ed25519 cosignature is key ID || u64 timestamp (1679315147, the spec's "time" line) || 64-byte signature.
    const w = c.signatures[1].signature;
    expect(w.length).toBe(72);
    expect(Number(new DataView(w.buffer, w.byteOffset, 8).getBigUint64(0))).toBe(1679315147);
    expect(formatNote(c)).toBe(C2SP_COSIGNED);
  });
  it('refuses malformed notes with IPQ-L004 naming the line', () => {
    const sig = PETER_NOTE.slice(PETER_TEXT.length + 1);
    const cases: [string, RegExp][] = [
      [PETER_NOTE.slice(0, -1), /newline/],
      [`${PETER_TEXT}${sig}`, /empty line/],
      [`${PETER_TEXT}\n`, /no signature/],
      [`${PETER_TEXT}\n- PeterNeumann x08go/ZJku\n`, /line 4:.*must start/],
      [`${PETER_TEXT}\n— Peter Neumann x08go/ZJkuBS9U\n`, /line 4/],
      [`${PETER_TEXT}\n— Peter+Neumann x08go/ZJkuBS9U\n`, /line 4: invalid key name/],
      [`${PETER_TEXT}\n— PeterNeumann x08go/ZJku!!==\n`, /line 4:.*base64/],
      [`${PETER_TEXT}\n— PeterNeumann x08g\n`, /line 4:.*shorter/],
      [`${PETER_TEXT}\n— PeterNeumann\n`, /line 4/],
      [`a\n\tb\n\n${sig}`, /line 2: control character U\+0009/],
      [`a\r\n\n${sig}`, /line 1: control/],
      [`a\ud800\n\n${sig}`, /UTF-8/],
      [`a\n\n${sig.repeat(MAX_NOTE_SIGNATURES + 1)}`, /more than/],
      [`${PETER_TEXT}\n${sig}extra\n`, /line 5/],
    ];
    for (const [note, re] of cases) expect(l004(() => parseNote(note)).message, JSON.stringify(note.slice(-30))).toMatch(re);
    l004(() => parseNote(42 as unknown as string));
  });
  it('never throws anything but IPQ-L004 on random or damaged notes', () => {
    const check = (s: string) => {
      try {
        parseNote(s);
      } catch (e) {
        if (!isIpqsecError(e, 'IPQ-L004')) throw e;
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), check), { numRuns: 500 });
    fc.assert(
      fc.property(fc.constantFrom(PETER_NOTE, C2SP_NOTE, C2SP_COSIGNED), fc.nat(), fc.string({ maxLength: 3, unit: 'binary' }), (n, at, ins) => {
        const i = at % n.length;
        check(n.slice(0, i));
        check(n.slice(0, i) + ins + n.slice(i + 1));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('signing and appending lines', () => {
  const fake = (name: string, tag: number) => ({
    name,
    keyId: keyIdOf(name, new Uint8Array([0xff, tag])),
    sign: (m: Uint8Array) => new Uint8Array([tag, m.length & 255]),
    verify: (m: Uint8Array, s: Uint8Array) => s.length === 2 && s[0] === tag && s[1] === (m.length & 255),
  });
  it('signs with every signer in order and verifies each', () => {
    const a = fake('log.example/a', 1);
    const b = fake('w.example/b', 2);
    const note = signNote('hello\nworld\n', [a, b]);
    const n = parseNote(note);
    expect(n.signatures.map((s) => s.name)).toEqual(['log.example/a', 'w.example/b']);
    expect(verifyNote(n, [a, b])).toEqual({ verified: ['log.example/a', 'w.example/b'], failed: [], unknown: 0 });
    // Same name, other key ID: not a known key, so ignored.
    const other = { ...fake('log.example/a', 3) };
    expect(verifyNote(n, [other])).toEqual({ verified: [], failed: [], unknown: 2 });
    expect(() => signNote('no newline', [a])).toThrow(TypeError);
    expect(() => signNote('x\n', [])).toThrow(TypeError);
  });
  it('appends signature lines once and keeps the text', () => {
    const a = fake('log.example/a', 1);
    const b = fake('w.example/b', 2);
    const note = signNote('t\n', [a]);
    const line = formatSignatureLine({ name: b.name, keyId: b.keyId, signature: b.sign(new TextEncoder().encode('t\n')) });
    const both = appendSignatureLines(note, [line, `${line}\n`]);
    expect(parseNote(both).signatures).toHaveLength(2);
    expect(appendSignatureLines(both, [line])).toBe(both);
    expect(parseSignatureLine(line)).toEqual(parseNote(both).signatures[1]);
    l004(() => appendSignatureLines(note, ['not a line']));
  });
});
