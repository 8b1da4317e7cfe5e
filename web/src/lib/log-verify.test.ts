/**
 * Checkpoint verification in the browser code against notes signed by the server's own ledger code
 * (fixtures/checkpoint.json, generated with src/ledger signCheckpoint + mlDsaNoteSigner + mlDsaCosigner):
 * valid notes verify, a witness line is counted, another key or any change to the text fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import fixture from './fixtures/checkpoint.json';
import { FormatError, keyIdOf, parseNoteKey, parseSignedNote, verifyCheckpoint, ML_DSA_65_NOTE_TYPE } from './log-verify';

describe('verifyCheckpoint', () => {
  it('verifies a checkpoint signed by the log key, reading origin, size and root', () => {
    const r = verifyCheckpoint(fixture.note, fixture.vkey);
    expect(r).toMatchObject({ valid: true, problem: null, keyName: 'ipqsec.test/log', otherSignatures: 0, originMatchesKey: true });
    expect(r.checkpoint).toEqual({ origin: fixture.origin, size: fixture.size, rootHash: fixture.root_hash, extensions: [] });
  });

  it('verifies a cosigned checkpoint and counts the witness line without verifying it', () => {
    const r = verifyCheckpoint(fixture.cosigned_note, fixture.vkey);
    expect(r.valid).toBe(true);
    expect(r.otherSignatures).toBe(1);
  });

  it('does not verify with another key of the same name (different key ID)', () => {
    const r = verifyCheckpoint(fixture.note, fixture.other_vkey);
    expect(r.valid).toBe(false);
    expect(r.problem).toMatch(/no signature line of key ipqsec\.test\/log/);
  });

  it('fails when the signed text changes (any one character of the size or root line, property)', () => {
    const text = parseSignedNote(fixture.note).text;
    const sigPart = fixture.note.slice(text.length);
    const firstNl = text.indexOf('\n');
    fc.assert(
      fc.property(fc.integer({ min: firstNl + 1, max: text.length - 2 }), fc.constantFrom(...'0123456789ABCDEFabcdef+/'), (i, c) => {
        if (text[i] === '\n' || text[i] === c) return;
        const changed = text.slice(0, i) + c + text.slice(i + 1);
        let valid = false;
        try {
          valid = verifyCheckpoint(changed + sigPart, fixture.vkey).valid;
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
        expect(valid).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it('fails when a signature byte changes', () => {
    const lines = fixture.note.split('\n');
    const sig = lines[lines.length - 2];
    const at = sig.length - 20;
    const flipped = sig.slice(0, at) + (sig[at] === 'A' ? 'B' : 'A') + sig.slice(at + 1);
    const r = verifyCheckpoint(fixture.note.replace(sig, flipped), fixture.vkey);
    expect(r.valid).toBe(false);
    expect(r.problem).toMatch(/does not verify/);
  });
});

describe('parsing', () => {
  it('parses the verifier key and recomputes its key ID', () => {
    const k = parseNoteKey(fixture.vkey);
    expect(k.name).toBe('ipqsec.test/log');
    expect(k.publicKey.length).toBe(1952);
    const idHex = fixture.vkey.split('+')[1];
    expect(Array.from(keyIdOf(k.name, new Uint8Array([...ML_DSA_65_NOTE_TYPE, ...k.publicKey])), (b) => b.toString(16).padStart(2, '0')).join('')).toBe(idHex);
  });

  it('rejects malformed keys and notes with FormatError', () => {
    const [name, id, key] = fixture.vkey.split('+');
    const wrongId = id === '00000000' ? '00000001' : '00000000';
    for (const bad of [`${name}+${wrongId}+${key}`, `${name}+${id}`, `${name}+${id}+!!!`, `na me+${id}+${key}`, `${name}+${id}+${btoa('\u0001abc')}`])
      expect(() => parseNoteKey(bad), bad).toThrow(FormatError);
    for (const bad of ['', 'no newline', 'a\nb\n', 'ipqsec.test/log\n1\nAAAA\n\n— x\n', `${fixture.note}\u0001`])
      expect(() => verifyCheckpoint(bad, fixture.vkey), JSON.stringify(bad.slice(0, 30))).toThrow(FormatError);
  });

  it('never throws anything but FormatError on arbitrary notes (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          verifyCheckpoint(s, fixture.vkey);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
