import { describe, expect, it } from 'vitest';
import { parseEvents } from '../core/events.js';
import { DetectionEngine, SIGNAL_SEVERITY_RISK } from './engine.js';
import { severityOf } from './alert-builder.js';

let n = 0;
const newId = (): string => `id-${++n}`;
const flow = (extra: Record<string, unknown>) => ({
  type: 'flow',
  ts: 1_700_000_000,
  orig_h: '10.0.0.5',
  orig_p: 40000,
  resp_h: '10.0.0.9',
  resp_p: 80,
  proto: 'tcp',
  ...extra,
});

describe('flow signals (sensor detections)', () => {
  it('each severity maps to a risk inside its own severity band', () => {
    for (const [sev, risk] of Object.entries(SIGNAL_SEVERITY_RISK)) expect(severityOf(risk)).toBe(sev);
  });

  it('a high signal raises a high alert with the reason, our techniques and the ids the sensor claimed', () => {
    const engine = new DetectionEngine({}, { newId });
    const events = parseEvents(
      [flow({ signals: [{ reason: 'Brute Force', severity: 'high', source: 'ipqsec-sensor', detail: '30 failed FTP logins', techniques: ['T1110.001'] }] })],
      newId,
    );
    const [s] = engine.scoreBatch(events, true).scored;
    expect(s!.alert).not.toBeNull();
    expect(s!.alert!.reasons).toContain('Brute Force');
    expect(s!.alert!.severity).toBe('high');
    expect(s!.risk).toBeGreaterThanOrEqual(SIGNAL_SEVERITY_RISK.high);
    const ids = s!.alert!.techniques.map((t) => t.id);
    expect(ids).toContain('T1110.001');
  });

  it('a low signal stays a low alert and a flow without signals raises none', () => {
    const engine = new DetectionEngine({}, { newId });
    const events = parseEvents([flow({ signals: [{ reason: 'Online Anomaly', severity: 'low' }] }), flow({ orig_h: '10.0.0.6' })], newId);
    const [a, b] = engine.scoreBatch(events, true).scored;
    expect(a!.alert?.severity).toBe('low');
    expect(a!.alert?.reasons).toEqual(['Online Anomaly']);
    expect(b!.alert).toBeNull();
  });

  it('rejects an unknown reason or a malformed technique id at the edge', () => {
    expect(() => parseEvents([flow({ signals: [{ reason: 'Made Up', severity: 'high' }] })], newId)).toThrow(/IPQ-E001/);
    expect(() => parseEvents([flow({ signals: [{ reason: 'IDS Signature', severity: 'high', techniques: ['1046'] }] })], newId)).toThrow(/IPQ-E001/);
  });
});
