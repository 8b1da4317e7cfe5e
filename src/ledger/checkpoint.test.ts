import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { testPqcProvider as p } from './_test-provider.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, sameTreeHead, signCheckpoint, type Checkpoint } from './checkpoint.js';
import { mlDsaCosignatureVerifier, mlDsaCosigner } from './cosignature.js';
import { mlDsaNoteSigner, mlDsaNoteVerifier } from './note-signer.js';
import { appendSignatureLines, formatSignatureLine, parseNote } from './signed-note.js';
import { catchIpqsec } from '../core/_test-errors.js';

// c2sp.org/tlog-checkpoint example body.
const C2SP_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const ORIGIN = 'log.ipqsec.test/main';
const logKey = p.mlDsaKeygen(new Uint8Array(32).fill(1));
const otherKey = p.mlDsaKeygen(new Uint8Array(32).fill(2));
const wKey = p.mlDsaKeygen(new Uint8Array(32).fill(3));

const code = (f: () => unknown): string | undefined => catchIpqsec(f)?.code;

describe('checkpoint body', () => {
  it('parses the C2SP example and writes it back byte for byte', () => {
    const c = parseCheckpoint(C2SP_BODY);
    expect(c.origin).toBe('example.com/behind-the-sofa');
    expect(c.size).toBe(20852163);
    expect(Buffer.from(c.rootHash).toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(c.extensions).toEqual([]);
    expect(formatCheckpoint(c)).toBe(C2SP_BODY);
    const ext = parseCheckpoint(`${C2SP_BODY}ext one\nTimestamp: 5\n`);
    expect(ext.extensions).toEqual(['ext one', 'Timestamp: 5']);
    expect(formatCheckpoint(ext)).toBe(`${C2SP_BODY}ext one\nTimestamp: 5\n`);
    expect(parseCheckpoint('o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n').size).toBe(0);
  });
  it('refuses malformed bodies with IPQ-L004 naming the line', () => {
    const cases: [string, RegExp][] = [
      ['example.com/x\n20852163\n', /line 3/],
      ['example.com/x\n020852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', /line 2/],
      ['example.com/x\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', /line 2/],
      ['example.com/x\n1e3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', /line 2/],
      ['example.com/x\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', /line 2/],
      ['example.com/x\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n', /line 3/],
      ['example.com/x\n5\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n', /line 3/],
      ['example.com/x\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n', /line 4/],
      ['\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', /line 1/],
      ['a b\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', /line 1/],
      ['example.com/x\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', /newline/],
    ];
    for (const [text, re] of cases) {
      let err: unknown;
      try {
        parseCheckpoint(text);
      } catch (e) {
        err = e;
      }
      expect(isIpqsecError(err, 'IPQ-L004'), JSON.stringify(text)).toBe(true);
      expect((err as Error).message).toMatch(re);
    }
  });
  it('round-trips random checkpoints and never throws anything but IPQ-L004 on damaged text', () => {
    const cpArb = fc.record({
      origin: fc.stringMatching(/^[a-z0-9./-]{1,30}$/),
      size: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      rootHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      extensions: fc.array(fc.stringMatching(/^[a-zA-Z0-9 :=/+-]{1,20}$/), { maxLength: 2 }),
    });
    fc.assert(
      fc.property(cpArb, fc.nat(), fc.string({ maxLength: 2, unit: 'binary' }), (c, at, ins) => {
        const t = formatCheckpoint(c);
        const back = parseCheckpoint(t);
        expect(sameTreeHead(back, c)).toBe(true);
        expect(back.extensions).toEqual(c.extensions);
        const i = at % t.length;
        for (const d of [t.slice(0, i), t.slice(0, i) + ins + t.slice(i + 1)]) {
          try {
            parseCheckpoint(d);
          } catch (e) {
            if (!isIpqsecError(e, 'IPQ-L004')) throw e;
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('signed checkpoints', () => {
  const cp: Checkpoint = { origin: ORIGIN, size: 3, rootHash: new Uint8Array(32).fill(5), extensions: [] };
  const log = mlDsaNoteSigner(p, ORIGIN, logKey);
  const logV = mlDsaNoteVerifier(p, ORIGIN, logKey.publicKey);
  const note = signCheckpoint(cp, [log]);

  it('opens with the log key, reporting witness cosignatures', () => {
    const w = mlDsaCosigner(p, 'w.test/1', wKey, () => 1_000_000);
    const wV = mlDsaCosignatureVerifier(p, 'w.test/1', wKey.publicKey);
    const line = formatSignatureLine({ name: w.name, keyId: w.keyId, signature: w.sign(new TextEncoder().encode(formatCheckpoint(cp))) });
    const cosigned = appendSignatureLines(note, [line]);
    const opened = openCheckpoint(cosigned, logV, { witnesses: [wV] });
    expect(sameTreeHead(opened.checkpoint, cp)).toBe(true);
    expect(opened.witnesses).toEqual(['w.test/1']);
    expect(openCheckpoint(note, logV, { witnesses: [wV] }).witnesses).toEqual([]);
    // A cosignature over another tree fails and is reported.
    const other = { ...cp, size: 4 };
    const bad = formatSignatureLine({ name: w.name, keyId: w.keyId, signature: w.sign(new TextEncoder().encode(formatCheckpoint(other))) });
    expect(openCheckpoint(appendSignatureLines(note, [bad]), logV, { witnesses: [wV] }).failedWitnesses).toEqual(['w.test/1']);
  });
  it('refuses a note without a valid log signature (IPQ-L002) or malformed (IPQ-L004)', () => {
    const otherV = mlDsaNoteVerifier(p, ORIGIN, otherKey.publicKey);
    expect(code(() => openCheckpoint(note, otherV))).toBe('IPQ-L002');
    const n = parseNote(note);
    const sig = n.signatures[0].signature.slice();
    sig[100] ^= 1;
    const tampered = `${n.text}\n${formatSignatureLine({ ...n.signatures[0], signature: sig })}\n`;
    expect(code(() => openCheckpoint(tampered, logV))).toBe('IPQ-L002');
    const changedText = note.replace('\n3\n', '\n4\n');
    expect(code(() => openCheckpoint(changedText, logV))).toBe('IPQ-L002');
    expect(code(() => openCheckpoint(note, logV, { origin: 'another.log/x' }))).toBe('IPQ-L002');
    expect(code(() => openCheckpoint('garbage', logV))).toBe('IPQ-L004');
    const wrongOrigin = signCheckpoint({ ...cp, origin: 'another.log/x' }, [log]);
    expect(code(() => openCheckpoint(wrongOrigin, logV))).toBe('IPQ-L002');
  });
});
