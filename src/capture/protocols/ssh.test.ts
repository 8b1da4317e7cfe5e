import { describe, expect, it } from 'vitest';
import { describeAnalyzerContract } from './protocol-analyzer.case.js';
import type { Chunk } from './protocol-analyzer.case.js';
import { SshAnalyzer } from './ssh.js';
import { craftPcap, feedAll, HAS_TSHARK, replayTcp, tcpPackets, tsharkFields } from './_test-tshark.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

// RFC 4253 §4.2: the server may send lines before its identification string; the RFC's example string is
// "SSH-2.0-billsSSH_3.6.3q3". After the exchange come binary packets (here a KEXINIT-like start: packet length,
// padding length, message 20).
const SESSION: Chunk[] = [
  { fromOrig: false, bytes: ascii('Welcome to the plant gateway\r\nSSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n') },
  { fromOrig: true, bytes: ascii('SSH-2.0-billsSSH_3.6.3q3\r\n') },
  { fromOrig: true, bytes: Uint8Array.of(0, 0, 5, 0xdc, 6, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16) },
  { fromOrig: false, bytes: Uint8Array.of(0, 0, 4, 0x3c, 7, 20, 0xff, 0x0a, 0x0d) },
];

describe('SshAnalyzer (RFC 4253 §4.2)', () => {
  it('reads both identification strings and emits no login events (authentication is encrypted)', () => {
    const a = new SshAnalyzer();
    expect(feedAll(a, SESSION)).toEqual([]);
    expect(a.clientVersion).toBe('SSH-2.0-billsSSH_3.6.3q3');
    expect(a.serverVersion).toBe('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13');
    expect(a.malformed).toBe(0);
  });

  it('counts a client that does not start with its identification string, and an over-long one', () => {
    const a = new SshAnalyzer();
    feedAll(a, [{ fromOrig: true, bytes: ascii('GET / HTTP/1.1\r\n') }]);
    expect(a.malformed).toBe(1);
    expect(a.clientVersion).toBeUndefined();
    const b = new SshAnalyzer();
    feedAll(b, [{ fromOrig: false, bytes: ascii(`SSH-2.0-${'x'.repeat(300)}\r\n`) }]);
    expect(b.malformed).toBe(1);
    const c = new SshAnalyzer();
    feedAll(c, [{ fromOrig: false, bytes: ascii('SSH-2.0\r\n') }]); // no software version
    expect(c.malformed).toBe(1);
  });
});

describe.skipIf(!HAS_TSHARK)('SshAnalyzer against tshark (text2pcap, port 22)', () => {
  it('reads the same identification strings as tshark', () => {
    // tshark takes a segment for SSH only when it starts with the identification string: no pre-banner line here.
    const file = craftPcap('ssh', [{ fromOrig: false, bytes: ascii('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n') }, SESSION[1]!], 40008, 22);
    const oracle = tsharkFields(file, 'ssh.protocol', ['tcp.srcport', 'ssh.protocol']);
    const replay = replayTcp(tcpPackets(file));
    const a = [...replay.analyzers.values()][0] as SshAnalyzer;
    expect(a.service).toBe('ssh');
    expect(oracle).toEqual([
      ['22', a.serverVersion],
      ['40008', a.clientVersion],
    ]);
    expect(replay.events).toEqual([]);
  });
});

describeAnalyzerContract({ name: 'SshAnalyzer', make: () => new SshAnalyzer(), streams: [SESSION], emitsNothing: true });
