import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { describe, expect, it } from 'vitest';
import { enrollmentMessage, enrollmentProof, verifyEnrollmentProof } from './enrollment.js';
import { createPqcProvider } from './select-provider.js';

const p = createPqcProvider();
const device = p.mlDsaKeygen();
const other = p.mlDsaKeygen();

describe('enrollment proof', () => {
  it('signs label ‖ len ‖ id ‖ public key with context ipqsec-enroll-v1 (checked with noble directly)', () => {
    const msg = Buffer.concat([Buffer.from('ipqsec-enroll-v1'), Buffer.from([8]), Buffer.from('robot-07'), device.publicKey]);
    expect(Buffer.from(enrollmentMessage('robot-07', device.publicKey)).equals(msg)).toBe(true);
    const proof = enrollmentProof(p, 'robot-07', device);
    expect(ml_dsa65.verify(proof, msg, device.publicKey, { context: new TextEncoder().encode('ipqsec-enroll-v1') })).toBe(true);
    expect(verifyEnrollmentProof(p, 'robot-07', device.publicKey, proof)).toBe(true);
  });

  it('is false for another id, another key, a tampered proof or garbage, and never throws', () => {
    const proof = enrollmentProof(p, 'robot-07', device);
    expect(verifyEnrollmentProof(p, 'robot-08', device.publicKey, proof)).toBe(false);
    expect(verifyEnrollmentProof(p, 'robot-07', other.publicKey, proof)).toBe(false);
    const bad = proof.slice();
    bad[0]! ^= 1;
    expect(verifyEnrollmentProof(p, 'robot-07', device.publicKey, bad)).toBe(false);
    expect(verifyEnrollmentProof(p, 'robot 07', device.publicKey, proof)).toBe(false);
    expect(verifyEnrollmentProof(p, 'robot-07', device.publicKey.subarray(1), proof)).toBe(false);
    expect(verifyEnrollmentProof(p, 'robot-07', device.publicKey, proof.subarray(1))).toBe(false);
    expect(() => enrollmentMessage('', device.publicKey)).toThrow(RangeError);
  });
});
