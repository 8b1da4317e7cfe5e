import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../core/events.js';
import { ALERT_REASONS } from '../core/records.js';
import { ALL_MAPPED_TECHNIQUES, techniquesFor } from './attack-mapping.js';

const DATA = resolve(process.cwd(), process.env.IPQSEC_DATA ?? '../shared/data', 'mitre-attack');
const ICS_FILE = resolve(DATA, 'ics-attack.json');
const ENTERPRISE_FILE = resolve(DATA, 'enterprise-attack.reconstructed.json.gz');
const missing = [ICS_FILE, ENTERPRISE_FILE].filter((f) => !existsSync(f));
const SKIP_MESSAGE = missing.length > 0 ? ` (SKIPPED: missing ${missing.join(', ')}; set IPQSEC_DATA)` : '';

interface StixObject {
  type: string;
  name?: string;
  revoked?: boolean;
  x_mitre_deprecated?: boolean;
  external_references?: { source_name: string; external_id?: string }[];
}

/** attack-pattern objects of a bundle by ATT&CK id. */
function attackPatterns(json: string): Map<string, StixObject[]> {
  const byId = new Map<string, StixObject[]>();
  for (const o of (JSON.parse(json) as { objects: StixObject[] }).objects) {
    if (o.type !== 'attack-pattern') continue;
    for (const r of o.external_references ?? []) {
      if ((r.source_name === 'mitre-attack' || r.source_name === 'mitre-ics-attack') && r.external_id !== undefined) {
        byId.set(r.external_id, [...(byId.get(r.external_id) ?? []), o]);
      }
    }
  }
  return byId;
}

describe.skipIf(missing.length > 0)(`ATT&CK ids and names against MITRE's STIX bundles${SKIP_MESSAGE}`, () => {
  const ics = missing.length > 0 ? new Map<string, StixObject[]>() : attackPatterns(readFileSync(ICS_FILE, 'utf8'));
  const enterprise = missing.length > 0 ? new Map<string, StixObject[]>() : attackPatterns(gunzipSync(readFileSync(ENTERPRISE_FILE)).toString('utf8'));

  it('sanity: the bundles hold the expected technique counts', () => {
    expect(ics.size).toBeGreaterThan(50);
    expect(enterprise.size).toBeGreaterThan(500);
  });

  it.each(ALL_MAPPED_TECHNIQUES.map((t) => [t.id, t.name]))('%s "%s" exists in the right bundle, is current and named as in STIX', (id, name) => {
    const isIcs = /^T0\d{3}$/.test(id);
    expect(isIcs || /^T1\d{3}(\.\d{3})?$/.test(id)).toBe(true);
    const objects = (isIcs ? ics : enterprise).get(id) ?? [];
    const current = objects.filter((o) => o.revoked !== true && o.x_mitre_deprecated !== true);
    expect(current, `${id} not found (or only revoked/deprecated) in the ${isIcs ? 'ICS' : 'Enterprise'} bundle`).toHaveLength(1);
    expect(current[0].name).toBe(name);
    expect((isIcs ? enterprise : ics).has(id)).toBe(false);
  });
});

describe('techniquesFor', () => {
  const ports = [undefined, 0, 22, 23, 80, 443, 502, 1883, 2323, 3389, 4444, 5900, 6667, 8080, 31337, 65535];

  it('returns only members of ALL_MAPPED_TECHNIQUES, without duplicates, for every reason × event type × port', () => {
    const all = new Map(ALL_MAPPED_TECHNIQUES.map((t) => [t.id, t]));
    const emitted = new Set<string>();
    for (const reason of ALERT_REASONS) {
      for (const eventType of EVENT_TYPES) {
        for (const port of ports) {
          const ts = techniquesFor(reason, port === undefined ? { eventType } : { eventType, port });
          expect(new Set(ts.map((t) => t.id)).size).toBe(ts.length);
          for (const t of ts) {
            expect(all.get(t.id), `${reason}/${eventType}/${port}: ${t.id}`).toEqual(t);
            emitted.add(t.id);
          }
        }
      }
    }
    // And ALL_MAPPED_TECHNIQUES lists nothing that can never be emitted.
    expect([...emitted].sort()).toEqual([...all.keys()].sort());
    expect(all.size).toBe(ALL_MAPPED_TECHNIQUES.length);
  });

  it('maps the documented cases', () => {
    const ids = (reason: (typeof ALERT_REASONS)[number], eventType: 'flow' | 'robot' | 'sensor', port?: number) =>
      techniquesFor(reason, { eventType, port }).map((t) => t.id);
    expect(ids('Port Scan', 'flow')).toEqual(['T1046', 'T0846']);
    expect(ids('Traffic Burst', 'flow')).toEqual(['T1498', 'T0814']);
    expect(ids('Suspicious Port Access', 'flow', 3389)).toEqual(['T1021.001']);
    expect(ids('Suspicious Port Access', 'robot', 3389)).toEqual(['T1021.001', 'T0886']);
    expect(ids('Suspicious Port Access', 'flow', 5900)).toEqual(['T1021.005']);
    expect(ids('Suspicious Port Access', 'robot', 23)).toEqual(['T1021', 'T0886']);
    expect(ids('Suspicious Port Access', 'flow', 2323)).toEqual(['T1021']);
    expect(ids('Suspicious Port Access', 'flow', 4444)).toEqual(['T1571']);
    expect(ids('Suspicious Port Access', 'robot', 31337)).toEqual(['T1571']);
    expect(ids('Suspicious Port Access', 'robot', 6667)).toEqual(['T1071', 'T0869']);
    expect(ids('Suspicious Port Access', 'flow', 80)).toEqual([]);
    expect(ids('Suspicious Port Access', 'flow')).toEqual([]);
    expect(ids('Unusual Task Switch', 'robot')).toEqual(['T0855', 'T0831']);
    expect(ids('Sensor Out Of Range', 'sensor')).toEqual(['T0856', 'T0831']);
    expect(ids('Sensor Spike', 'sensor')).toEqual(['T0856']);
    expect(ids('Sensor Drift', 'sensor')).toEqual(['T0832']);
    expect(ids('Sensor Stuck', 'sensor')).toEqual(['T0832']);
    for (const r of ['Sensor High Risk', 'ML Intrusion Score', 'Recurring Offender', 'Blocked Entity'] as const) {
      expect(ids(r, 'flow')).toEqual([]);
    }
  });

  it('returns frozen arrays', () => {
    expect(Object.isFrozen(techniquesFor('Port Scan', { eventType: 'flow' }))).toBe(true);
    expect(Object.isFrozen(ALL_MAPPED_TECHNIQUES)).toBe(true);
    expect(Object.isFrozen(ALL_MAPPED_TECHNIQUES[0])).toBe(true);
  });
});
