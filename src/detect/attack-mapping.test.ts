import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../core/events.js';
import { ALERT_REASONS } from '../core/records.js';
import { ALL_MAPPED_TECHNIQUES, type AttackContext, techniquesFor } from './attack-mapping.js';

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

  // Detector contexts: Modbus function/sub-function pairs (FC 8 sub-functions 0..21 and 65535) and MQTT $SYS.
  const contexts: Omit<AttackContext, 'eventType'>[] = [
    ...ports.map((port) => (port === undefined ? {} : { port })),
    ...[7, 8, 11, 12, 17, 43].flatMap((modbusFunction) =>
      [undefined, ...Array.from({ length: 22 }, (_, i) => i), 65535].map((modbusSubFunction) => ({ modbusFunction, modbusSubFunction })),
    ),
    { mqttSys: true },
    { mqttSys: false },
  ];

  it('returns only members of ALL_MAPPED_TECHNIQUES, without duplicates, for every reason × event type × context', () => {
    const all = new Map(ALL_MAPPED_TECHNIQUES.map((t) => [t.id, t]));
    const emitted = new Set<string>();
    for (const reason of ALERT_REASONS) {
      for (const eventType of EVENT_TYPES) {
        for (const ctx of contexts) {
          const ts = techniquesFor(reason, { eventType, ...ctx });
          expect(new Set(ts.map((t) => t.id)).size).toBe(ts.length);
          for (const t of ts) {
            expect(all.get(t.id), `${reason}/${eventType}/${JSON.stringify(ctx)}: ${t.id}`).toEqual(t);
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
    for (const r of ['Sensor High Risk', 'ML Intrusion Score', 'Recurring Offender', 'Blocked Entity', 'Online Anomaly', 'IDS Signature'] as const) {
      expect(ids(r, 'flow')).toEqual([]);
    }
  });

  it('maps the network sensor reasons as documented', () => {
    const ids = (reason: (typeof ALERT_REASONS)[number], ctx: Omit<AttackContext, 'eventType'> = {}) =>
      techniquesFor(reason, { eventType: 'flow', ...ctx }).map((t) => t.id);
    expect(ids('Port Scan')).toEqual(['T1046', 'T0846']);
    expect(ids('Host Sweep')).toEqual(['T1018', 'T1046', 'T0846']);
    expect(ids('Brute Force')).toEqual(['T1110']);
    expect(ids('ARP Spoofing')).toEqual(['T1557.002', 'T0830']);
    expect(ids('Exploit Attempt')).toEqual(['T1190']);
    expect(ids('Unauthorized Modbus Write')).toEqual(['T0855', 'T0836']);
    // Modbus Diagnostics: the default (discovery) and the FC 8 sub-functions with their own techniques.
    expect(ids('Modbus Diagnostics')).toEqual(['T0888']);
    expect(ids('Modbus Diagnostics', { modbusFunction: 43, modbusSubFunction: 14 })).toEqual(['T0888']);
    expect(ids('Modbus Diagnostics', { modbusFunction: 8, modbusSubFunction: 0 })).toEqual(['T0888']);
    expect(ids('Modbus Diagnostics', { modbusFunction: 8, modbusSubFunction: 1 })).toEqual(['T0855', 'T0816']);
    expect(ids('Modbus Diagnostics', { modbusFunction: 8, modbusSubFunction: 4 })).toEqual(['T0855', 'T0814']);
    expect(ids('Modbus Diagnostics', { modbusFunction: 8, modbusSubFunction: 10 })).toEqual(['T0855', 'T0872']);
    expect(ids('Modbus Diagnostics', { modbusFunction: 8, modbusSubFunction: 20 })).toEqual(['T0855', 'T0872']);
    expect(ids('MQTT Wildcard Subscription')).toEqual(['T0801', 'T0861']);
    expect(ids('MQTT Wildcard Subscription', { mqttSys: true })).toEqual(['T0888']);
    expect(ids('MQTT Connect Flood')).toEqual(['T1499.002', 'T0814']);
    // Context fields of other reasons are ignored.
    expect(ids('Port Scan', { modbusFunction: 8, modbusSubFunction: 4, mqttSys: true })).toEqual(['T1046', 'T0846']);
  });

  it('returns frozen arrays', () => {
    expect(Object.isFrozen(techniquesFor('Port Scan', { eventType: 'flow' }))).toBe(true);
    expect(Object.isFrozen(ALL_MAPPED_TECHNIQUES)).toBe(true);
    expect(Object.isFrozen(ALL_MAPPED_TECHNIQUES[0])).toBe(true);
  });
});
