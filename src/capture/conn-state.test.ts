/**
 * Zeek's conn_state derivation (scripts/base/protocols/conn/main.zeek `conn_state`) as a table of endpoint
 * states → state, written from the script's if-chain and its documented meanings; the RSTOS0 history pattern.
 * The packet-level state machine is exercised end to end in flow-table.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  ConnStateTable,
  isRstos0History,
  TCP_CLOSED,
  TCP_ESTABLISHED,
  TCP_INACTIVE,
  TCP_PARTIAL,
  TCP_RESET,
  TCP_SYN_ACK_SENT,
  TCP_SYN_SENT,
  tcpConnState,
  udpConnState,
} from './conn-state.js';

describe('tcpConnState (main.zeek conn_state)', () => {
  const cases: [string, number, number, number, number, string, string][] = [
    ['attempt, no reply', TCP_SYN_SENT, TCP_INACTIVE, 0, 0, 'S', 'S0'],
    ['established', TCP_ESTABLISHED, TCP_ESTABLISHED, 10, 10, 'ShAD', 'S1'],
    ['both closed', TCP_CLOSED, TCP_CLOSED, 10, 10, 'ShADFf', 'SF'],
    ['rejected SYN', TCP_SYN_SENT, TCP_RESET, 0, 0, 'Sr', 'REJ'],
    ['rejected SYN-ACK-sent originator', TCP_SYN_ACK_SENT, TCP_RESET, 0, 0, 'Hr', 'REJ'],
    ['both reset without data', TCP_RESET, TCP_RESET, 0, 0, 'SRr', 'REJ'],
    ['both reset with data', TCP_RESET, TCP_RESET, 5, 0, 'ShADRr', 'RSTR'],
    ['responder reset, originator established', TCP_ESTABLISHED, TCP_RESET, 5, 5, 'ShADr', 'RSTR'],
    ['responder reset, originator inactive (SYN-ACK then RST)', TCP_INACTIVE, TCP_RESET, 0, 0, '^hr', 'RSTRH'],
    ['responder reset, originator partial', TCP_PARTIAL, TCP_RESET, 5, 0, 'Dr', 'RSTRH'],
    ['originator reset, established responder', TCP_RESET, TCP_ESTABLISHED, 5, 5, 'ShADR', 'RSTO'],
    ['originator SYN then RST, silent responder', TCP_RESET, TCP_INACTIVE, 0, 0, 'SR', 'RSTOS0'],
    ['originator RST midstream, silent responder', TCP_RESET, TCP_INACTIVE, 0, 0, 'DR', 'OTH'],
    ['originator closed, responder established', TCP_CLOSED, TCP_ESTABLISHED, 5, 5, 'ShADF', 'S2'],
    ['originator closed, responder inactive (half open)', TCP_CLOSED, TCP_INACTIVE, 0, 0, 'SF', 'SH'],
    ['responder closed, originator established', TCP_ESTABLISHED, TCP_CLOSED, 5, 5, 'ShADf', 'S3'],
    ['responder closed, originator inactive', TCP_INACTIVE, TCP_CLOSED, 0, 0, '^hf', 'SHR'],
    ['midstream both partial', TCP_PARTIAL, TCP_PARTIAL, 5, 5, 'Dd', 'OTH'],
    ['established originator, partial responder', TCP_ESTABLISHED, TCP_PARTIAL, 5, 5, 'Dd', 'OTH'],
  ];
  for (const [name, os, rs, osz, rsz, h, want] of cases) it(`${name} → ${want}`, () => expect(tcpConnState(os, rs, osz, rsz, h)).toBe(want));
});

describe('isRstos0History (\\^?S[^HAFGIQ]*R.*)', () => {
  it('matches an originator SYN followed by an originator RST with no upper-case H/A/F/G/I/Q between', () => {
    for (const h of ['SR', '^SR', 'SdR', 'SrR', 'STR', 'SRa', 'SsR', 'ShR']) expect(isRstos0History(h), h).toBe(true);
    for (const h of ['S', 'R', 'SAR', 'SHR', 'SFR', 'SQR', 'dSR', '^hR', '']) expect(isRstos0History(h), h).toBe(false);
  });
});

describe('udpConnState (main.zeek, udp branch)', () => {
  it('SF both ways, S0 originator only, SHR responder only, OTH neither', () => {
    expect([udpConnState(true, true), udpConnState(true, false), udpConnState(false, true), udpConnState(false, false)]).toEqual(['SF', 'S0', 'SHR', 'OTH']);
  });
});

describe('ConnStateTable', () => {
  it('keeps slots independent and survives growth; history is capped at 32 letters', () => {
    const t = new ConnStateTable(2);
    t.reset(0);
    t.reset(1);
    t.tcpPacket(0, true, 0x02, 100, 0, 0, 1000);
    t.udpPacket(1, true);
    t.grow(64);
    t.reset(40);
    expect([t.history(0), t.history(1), t.history(40)]).toEqual(['S', 'D', '']);
    expect(t.tcpState(0, true)).toBe(TCP_SYN_SENT);
    expect(t.tcpIsAttempt(0)).toBe(true);
    // RSTs with 40 different sequence numbers: each adds R (Zeek), up to the cap.
    for (let i = 0; i < 40; i++) t.tcpPacket(40, true, 0x04, 1000 + i * 10, 0, 0, 1000);
    expect(t.history(40)).toHaveLength(32);
  });

  it('Size() follows sequence numbers: SYN and FIN octets excluded, 32-bit wrap counted', () => {
    const t = new ConnStateTable(1);
    t.reset(0);
    const isn = 0xffffff00; // data crosses 2^32
    t.tcpPacket(0, true, 0x02, isn, 0, 0, 1000);
    t.tcpPacket(0, false, 0x12, 7, (isn + 1) >>> 0, 0, 1000);
    t.tcpPacket(0, true, 0x10, (isn + 1) >>> 0, 8, 0, 1000);
    t.tcpPacket(0, true, 0x18, (isn + 1) >>> 0, 8, 1000, 1000);
    t.tcpPacket(0, true, 0x11, (isn + 1001) >>> 0, 8, 0, 1000);
    expect(t.tcpSize(0, true)).toBe(1000);
    expect(t.tcpSize(0, false)).toBe(0);
    expect(t.tcpConnState(0)).toBe('S2');
  });
});
