import { describe, expect, it } from 'vitest';
import type { LoginEvent } from './app-event.js';
import { concat, describeAnalyzerContract } from './protocol-analyzer.case.js';
import type { Chunk } from './protocol-analyzer.case.js';
import { TelnetAnalyzer } from './telnet.js';
import { feedAll, hex } from './_test-tshark.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const server = (...parts: (string | Uint8Array)[]): Chunk => ({ fromOrig: false, bytes: concat(...parts.map((p) => (typeof p === 'string' ? ascii(p) : p))) });
const client = (...parts: (string | Uint8Array)[]): Chunk => ({ fromOrig: true, bytes: concat(...parts.map((p) => (typeof p === 'string' ? ascii(p) : p))) });
/** A user typing in character mode: one segment per key, each echoed by the server (RFC 857 ECHO). */
const typed = (s: string, echo: boolean): Chunk[] => [...s].flatMap((ch) => (echo ? [client(ch), server(ch)] : [client(ch)]));

// Hand-derived transcripts. Option negotiation per RFC 854/855 (IAC DO TERMINAL-TYPE = FF FD 18, IAC SB
// TERMINAL-TYPE IS "xterm" IAC SE = FF FA 18 00 ... FF F0, RFC 1091); the texts are those of util-linux
// login(1) ("<host> login: ", "Password: ", "Login incorrect", "Last login: ...").
const LINUX: Chunk[] = [
  server(hex('FF FD 18 FF FD 20 FF FD 23 FF FD 27')),
  client(hex('FF FB 18 FF FC 20 FF FC 23 FF FC 27')),
  server(hex('FF FA 18 01 FF F0')),
  client(hex('FF FA 18 00'), 'xterm', hex('FF F0')),
  server(hex('FF FB 03 FF FD 01 FF FB 01'), 'Ubuntu 22.04.3 LTS\r\n'),
  server('plc-gw login: '),
  ...typed('root', true),
  client('\r\x00'),
  server('\r\nPassword: '),
  ...typed('wrongpass', false),
  client('\r\x00'),
  server('\r\n'),
  server('\r\nLogin incorrect\r\nplc-gw login: '),
  client('root\r\n'),
  server('root\r\nPassword: '),
  client('s3cret\r\n'),
  server('\r\nLast login: Thu Nov 20 10:01:02 UTC 2026 from 10.0.0.5 on pts/1\r\nWelcome to Ubuntu 22.04.3 LTS\r\n\r\nroot@plc-gw:~# '),
  client('sudo -k; sudo ls\r\n'),
  server('sudo -k; sudo ls\r\n[sudo] password for root: '),
  client('x\r\n'),
  server('\r\nSorry, try again.\r\n'),
];

// Cisco IOS line password and BusyBox login (Mirai-style IoT brute force).
const CISCO_FAIL: Chunk[] = [server('\r\n\r\nUser Access Verification\r\n\r\nPassword: '), client('cisco\r'), server('\r\nPassword: '), client('cisco123\r'), server('\r\n% Bad passwords\r\n\r\n')];
const CISCO_OK: Chunk[] = [server('\r\n\r\nUser Access Verification\r\n\r\nPassword: '), client('class\r'), server('\r\nRouter>')];
const BUSYBOX: Chunk[] = [server('\r\n(none) login: '), client('admin\r\n'), server('admin\r\nPassword: '), client('1234\r\n'), server('\r\nLogin incorrect\r\n(none) login: '), client('root\r\n'), server('root\r\nPassword: '), client('xc3511\r\n'), server('\r\n\r\nBusyBox v1.19.4 built-in shell (ash)\r\n# ')];

describe('TelnetAnalyzer (RFC 854 + login dialogue heuristics)', () => {
  it('util-linux login: a failure then a success for root, nothing for a later sudo prompt', () => {
    const a = new TelnetAnalyzer();
    expect(feedAll(a, LINUX)).toEqual([
      { kind: 'login', service: 'telnet', outcome: 'failure', user: 'root' },
      { kind: 'login', service: 'telnet', outcome: 'success', user: 'root' },
    ] satisfies LoginEvent[]);
  });

  it('Cisco line password: a re-prompt and "% Bad passwords" are failures, a ">" prompt is a success', () => {
    expect(feedAll(new TelnetAnalyzer(), CISCO_FAIL)).toEqual([
      { kind: 'login', service: 'telnet', outcome: 'failure' },
      { kind: 'login', service: 'telnet', outcome: 'failure' },
    ]);
    expect(feedAll(new TelnetAnalyzer(), CISCO_OK)).toEqual([{ kind: 'login', service: 'telnet', outcome: 'success' }]);
  });

  it('BusyBox login: failure for admin, success for root at the "#" shell prompt', () => {
    expect(feedAll(new TelnetAnalyzer(), BUSYBOX)).toEqual([
      { kind: 'login', service: 'telnet', outcome: 'failure', user: 'admin' },
      { kind: 'login', service: 'telnet', outcome: 'success', user: 'root' },
    ]);
  });

  it('invents nothing from traffic without a submitted password prompt', () => {
    const a = new TelnetAnalyzer();
    const ev = feedAll(a, [server('Welcome! Last login was a long time ago.\r\nincorrect settings: # $ >\r\n'), client('hello\r\n'), server('access denied\r\n> ')]);
    expect(ev).toEqual([]);
  });

  it('removes IAC commands split across segments, with IAC IAC as data', () => {
    const a = new TelnetAnalyzer();
    const ev = feedAll(a, [server('login: '), client('ro', hex('FF')), client(hex('FF'), 'ot\r\n'), server('Pass', hex('FF')), server(hex('FB 01'), 'word: '), client('x\r\n'), server('Login incorrect\r\n')]);
    expect(ev).toEqual([{ kind: 'login', service: 'telnet', outcome: 'failure', user: 'ro\xffot' }]);
  });
});

/** Server text is judged at segment ends (a prompt waits for input), so server chunks may only be split after LF. */
const afterLineEnds = (c: Chunk): number[] | 'any' => {
  if (c.fromOrig) return 'any';
  const points: number[] = [];
  c.bytes.forEach((b, i) => {
    if (b === 0x0a) points.push(i + 1);
  });
  return points;
};

describeAnalyzerContract({ name: 'TelnetAnalyzer', make: () => new TelnetAnalyzer(), streams: [LINUX, CISCO_FAIL, BUSYBOX], splitPoints: afterLineEnds });
