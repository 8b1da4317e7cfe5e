import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { ML_DSA_65 } from '../pqc/provider.js';
import { testPqcProvider as p } from './_test-provider.js';
import { COSIGNATURE_CONTEXT, cosignerVerifierKey } from './cosignature.js';
import { ML_DSA_65_NOTE_TYPE, mlDsaNoteSigner, mlDsaNoteVerifier, mlDsaNoteVerifierKey, NOTE_SIGNATURE_CONTEXT } from './note-signer.js';
import { parseNote, parseVerifierKey, signNote, verifyNote } from './signed-note.js';
import { verifierFromKey } from './verifier-key.js';

const kp = p.mlDsaKeygen(new Uint8Array(32).fill(7));
const NAME = 'log.ipqsec.test/main';

describe('ML-DSA-65 note signatures', () => {
  it('uses type 0xff || "ipqsec/note/ml-dsa-65" and the signed-note key ID', () => {
    expect(Buffer.from(ML_DSA_65_NOTE_TYPE).toString('latin1')).toBe('\xffipqsec/note/ml-dsa-65');
    const s = mlDsaNoteSigner(p, NAME, kp);
    const expected = createHash('sha256').update(NAME).update('\n').update(ML_DSA_65_NOTE_TYPE).update(kp.publicKey).digest().subarray(0, 4);
    expect(Buffer.from(s.keyId).equals(expected)).toBe(true);
    const vkey = mlDsaNoteVerifierKey(NAME, kp.publicKey);
    expect(vkey.split('+')[1]).toBe(expected.toString('hex'));
    expect(parseVerifierKey(vkey).typeAndKey.length).toBe(ML_DSA_65_NOTE_TYPE.length + ML_DSA_65.publicKeyBytes);
  });
  it('signs note text that verifies, under the documented context only', () => {
    const s = mlDsaNoteSigner(p, NAME, kp);
    const v = mlDsaNoteVerifier(p, NAME, kp.publicKey);
    const note = signNote('a checkpoint\n1\n', [s]);
    const n = parseNote(note);
    expect(n.signatures[0].signature.length).toBe(ML_DSA_65.signatureBytes);
    expect(verifyNote(n, [v]).verified).toEqual([NAME]);
    const msg = new TextEncoder().encode(n.text);
    // Independent check with the provider directly: the signature is over the text with the note context.
    expect(p.mlDsaVerify(kp.publicKey, msg, n.signatures[0].signature, NOTE_SIGNATURE_CONTEXT)).toBe(true);
    expect(p.mlDsaVerify(kp.publicKey, msg, n.signatures[0].signature)).toBe(false);
    expect(p.mlDsaVerify(kp.publicKey, msg, n.signatures[0].signature, COSIGNATURE_CONTEXT)).toBe(false);
    expect(v.verify(msg, n.signatures[0].signature.subarray(1))).toBe(false);
    expect(v.verify(new TextEncoder().encode('other\n'), n.signatures[0].signature)).toBe(false);
  });
  it('refuses bad names and key lengths', () => {
    expect(() => mlDsaNoteSigner(p, 'a b', kp)).toThrow(TypeError);
    expect(() => mlDsaNoteVerifier(p, NAME, new Uint8Array(10))).toThrow(RangeError);
  });
});

describe('verifierFromKey', () => {
  it('builds log and cosigner verifiers from their vkeys and refuses others', () => {
    const log = verifierFromKey(p, mlDsaNoteVerifierKey(NAME, kp.publicKey), 'log');
    expect(log.kind).toBe('log');
    expect(log.name).toBe(NAME);
    expect(Buffer.from(log.publicKey).equals(Buffer.from(kp.publicKey))).toBe(true);
    const w = verifierFromKey(p, cosignerVerifierKey('w.test/1', kp.publicKey));
    expect(w.kind).toBe('cosigner');
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isIpqsecError(e, 'IPQ-L004');
      }
      return false;
    };
    expect(err(() => verifierFromKey(p, cosignerVerifierKey('w.test/1', kp.publicKey), 'log'))).toBe(true);
    expect(err(() => verifierFromKey(p, 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe(true);
    expect(err(() => verifierFromKey(p, 'garbage'))).toBe(true);
  });
});
