import { describe, expect, it } from 'vitest';
import type { LoginEvent } from './app-event.js';
import { FtpAnalyzer } from './ftp.js';
import { describeAnalyzerContract } from './protocol-analyzer.case.js';
import type { Chunk } from './protocol-analyzer.case.js';
import { craftPcap, feedAll, HAS_TSHARK, pcapFile, replayTcp, tcpPackets, tsharkFields } from './_test-tshark.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const cmd = (s: string): Chunk => ({ fromOrig: true, bytes: ascii(s) });
const reply = (s: string): Chunk => ({ fromOrig: false, bytes: ascii(s) });

// A control connection following RFC 959 §5.4's sequencing: a multi-line greeting (§4.2), a refused user
// (530 to USER), a wrong password (331 then 530), a right one answered by a multi-line 230, then AUTH TLS (RFC 4217).
const SESSION: Chunk[] = [
  reply('220-plc-ftp FTP server ready.\r\n220-Authorised use only.\r\n220 \r\n'),
  cmd('USER root\r\n'),
  reply('530 User root access denied.\r\n'),
  cmd('USER operator\r\n'),
  reply('331 Password required for operator.\r\n'),
  cmd('PASS guess1\r\n'),
  reply('530 Login incorrect.\r\n'),
  cmd('user operator\r\npass s3cret\r\n'), // pipelined, lower case (§5.3.1: commands are case-insensitive)
  reply('331 Password required for operator.\r\n230-Welcome.\r\n230-Last login yesterday.\r\n230 User operator logged in.\r\n'),
  cmd('SYST\r\n'),
  reply('215 UNIX Type: L8\r\n'),
  cmd('AUTH TLS\r\n'),
  reply('234 AUTH TLS successful\r\n'),
  cmd('\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 binary TLS\r\nPASS x\r\n'),
  reply('530 not seen: TLS\r\n'),
];
const SESSION_EVENTS: LoginEvent[] = [
  { kind: 'login', service: 'ftp', outcome: 'failure', user: 'root' },
  { kind: 'login', service: 'ftp', outcome: 'failure', user: 'operator' },
  { kind: 'login', service: 'ftp', outcome: 'success', user: 'operator' },
];

describe('FtpAnalyzer (RFC 959 §5.4)', () => {
  it('reports failures and successes with the user name, through multi-line and pipelined replies, until AUTH TLS', () => {
    const a = new FtpAnalyzer();
    expect(feedAll(a, SESSION)).toEqual(SESSION_EVENTS);
    expect(a.malformed).toBe(0);
  });

  it('counts a server line that is not a reply as malformed', () => {
    const a = new FtpAnalyzer();
    feedAll(a, [reply('220 ok\r\n'), reply('hello\r\n')]);
    expect(a.malformed).toBe(1);
  });

  it('takes a 230 to USER as a success without password and ignores unsolicited 530s', () => {
    const a = new FtpAnalyzer();
    const ev = feedAll(a, [reply('220 ready\r\n'), reply('530 unsolicited\r\n'), cmd('USER anonymous\r\n'), reply('230 Anonymous access granted\r\n')]);
    expect(ev).toEqual([{ kind: 'login', service: 'ftp', outcome: 'success', user: 'anonymous' }]);
  });
});

const brute = pcapFile('ftp_bruteforce.pcap');

describe.skipIf(!HAS_TSHARK || !brute.exists)('FtpAnalyzer on ftp_bruteforce.pcap against tshark', () => {
  it('30 PASS attempts answered by 530 give 30 login failures, in the frames of the 530 replies', () => {
    const rows = tsharkFields(brute.path, 'ftp', ['frame.number', 'tcp.stream', 'ftp.request.command', 'ftp.response.code']);
    // Oracle: per stream, a 530 reply that follows a PASS request (tshark's own command/response fields).
    const lastCommand = new Map<string, string>();
    const failureFrames: number[] = [];
    for (const [frame, stream, command, code] of rows) {
      if (command) lastCommand.set(stream!, command);
      if (code === '530' && lastCommand.get(stream!) === 'PASS') failureFrames.push(Number(frame));
    }
    expect(rows.filter((r) => r[2] === 'PASS')).toHaveLength(30);
    expect(failureFrames).toHaveLength(30);
    const replay = replayTcp(tcpPackets(brute.path));
    expect(replay.events.map((x) => x.frame)).toEqual(failureFrames);
    expect(new Set(replay.events.map((x) => JSON.stringify(x.event)))).toEqual(new Set([JSON.stringify({ kind: 'login', service: 'ftp', outcome: 'failure', user: 'bro' })]));
    expect([...replay.analyzers.values()].every((a) => a.service === 'ftp' && a.malformed === 0)).toBe(true);
  });
});

describe.skipIf(!HAS_TSHARK)('FtpAnalyzer on the hand-built session (text2pcap, port 21)', () => {
  it('tshark sees the same commands and reply codes the analyzer pairs', () => {
    // tshark's FTP dissector reads one command per segment, so each line goes in its own segment here.
    const lines = SESSION.slice(0, 11).flatMap((c) => Buffer.from(c.bytes).toString('latin1').split(/(?<=\n)/).map((l) => ({ fromOrig: c.fromOrig, bytes: ascii(l) })));
    const file = craftPcap('ftp', lines, 40007, 21);
    const rows = tsharkFields(file, 'ftp', ['ftp.request.command', 'ftp.response.code']);
    const commands = rows.flatMap((r) => (r[0] ? r[0].split('|') : []));
    const codes = rows.flatMap((r) => (r[1] ? r[1].split('|') : []));
    expect(commands).toEqual(['USER', 'USER', 'PASS', 'user', 'pass', 'SYST']);
    expect(codes).toEqual(['220', '220', '220', '530', '331', '530', '331', '230', '230', '230', '215']);
    expect(replayTcp(tcpPackets(file)).events.map((x) => x.event)).toEqual(SESSION_EVENTS);
  });
});

describeAnalyzerContract({
  name: 'FtpAnalyzer',
  make: () => new FtpAnalyzer(),
  streams: [SESSION, [reply('220 x\r\n'), cmd('USER a\r\nPASS b\r\nUSER c\r\nPASS d\r\n'), reply('331 p\r\n530 no\r\n331 p\r\n230 ok\r\n')]],
});
