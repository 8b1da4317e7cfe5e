import { describe, expect, it } from 'vitest';
import { robotAlert, sensorAlert } from './_test-alerts.js';
import { alertToEcs } from './ecs.js';

describe('alertToEcs', () => {
  it('maps a robot alert to nested ECS 8.11 fields', () => {
    expect(alertToEcs(robotAlert())).toEqual({
      '@timestamp': '2024-05-01T10:00:00.000Z',
      ecs: { version: '8.11.0' },
      event: {
        kind: 'alert',
        category: ['intrusion_detection'],
        type: ['info'],
        severity: 3,
        risk_score: 81.5,
        id: '01HZX3K5V8Q2W4E6R8T0Y2U4I6',
        reason: 'Suspicious Port Access, Unusual Task Switch',
        dataset: 'ipqsec.alert',
        module: 'ipqsec',
      },
      rule: { name: 'Suspicious Port Access, Unusual Task Switch' },
      observer: { vendor: 'IPqSEC', product: 'IPqSEC', type: 'ids' },
      labels: { entity: 'robot:rb-7', event_id: 'ev-robot-1', event_type: 'robot', task: 'pick', previous_task: 'idle' },
      message: 'high alert on robot:rb-7: Suspicious Port Access, Unusual Task Switch',
      source: { ip: '10.0.0.7' },
      related: { ip: ['10.0.0.7'] },
      destination: { port: 22 },
      threat: {
        framework: 'MITRE ATT&CK',
        technique: {
          id: ['T1021', 'T0886'],
          name: ['Remote Services', 'Remote Services'],
          reference: ['https://attack.mitre.org/techniques/T1021/', 'https://attack.mitre.org/techniques/T0886/'],
          subtechnique: { id: ['T1021.004'], name: ['SSH'], reference: ['https://attack.mitre.org/techniques/T1021/004/'] },
        },
      },
    });
  });

  it('leaves out source, destination and threat when the alert has no address, port or technique', () => {
    const doc = alertToEcs(sensorAlert());
    expect(Object.keys(doc).sort()).toEqual(['@timestamp', 'ecs', 'event', 'labels', 'message', 'observer', 'rule']);
    expect(doc.event).toMatchObject({ severity: 1, risk_score: 20, category: ['intrusion_detection'] });
    expect(doc.labels).toEqual({ entity: 'sensor:plant-1/tt-101', event_id: 'ev-sensor-1', event_type: 'sensor' });
  });

  it('flows are network and intrusion_detection; several ports become an array; severities map to 1..4', () => {
    const flow = alertToEcs(robotAlert({ event_type: 'flow', entity: 'ip:10.0.0.9', ports_accessed: [22, 23, 3389], severity: 'critical', risk: 1 }));
    expect(flow.event).toMatchObject({ category: ['network', 'intrusion_detection'], severity: 4, risk_score: 100 });
    expect(flow.destination).toEqual({ port: [22, 23, 3389] });
    expect((alertToEcs(robotAlert({ severity: 'medium', risk: 0.4 })).event as Record<string, unknown>).severity).toBe(2);
  });
});
