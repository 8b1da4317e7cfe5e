/** Alert fixtures shared by the delivery tests (hand-written, not produced by the detectors). */
import type { Alert } from '../core/records.js';

/** A robot alert: SSH from a robot, with an Enterprise technique, a sub-technique and an ICS technique. */
export function robotAlert(over: Partial<Alert> = {}): Alert {
  return {
    id: '01HZX3K5V8Q2W4E6R8T0Y2U4I6',
    event_id: 'ev-robot-1',
    event_type: 'robot',
    entity: 'robot:rb-7',
    timestamp: '2024-05-01T10:00:00.000Z',
    ts_ms: Date.UTC(2024, 4, 1, 10),
    ip: '10.0.0.7',
    task: 'pick',
    previous_task: 'idle',
    ports_accessed: [22],
    intrusion_detected: true,
    reasons: ['Suspicious Port Access', 'Unusual Task Switch'],
    severity: 'high',
    risk: 0.815,
    techniques: [
      { id: 'T1021', name: 'Remote Services' },
      { id: 'T1021.004', name: 'SSH' },
      { id: 'T0886', name: 'Remote Services' },
    ],
    acked: false,
    acked_by: null,
    acked_at_ms: null,
    ...over,
  };
}

/** A sensor alert: no address, no port, no technique. */
export function sensorAlert(over: Partial<Alert> = {}): Alert {
  return robotAlert({
    id: 'al-sensor-1',
    event_id: 'ev-sensor-1',
    event_type: 'sensor',
    entity: 'sensor:plant-1/tt-101',
    ip: null,
    task: null,
    previous_task: null,
    ports_accessed: [],
    reasons: ['Sensor Spike'],
    severity: 'low',
    risk: 0.2,
    techniques: [],
    ...over,
  });
}
