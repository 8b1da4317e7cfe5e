/**
 * Alerts as Elastic Common Schema documents (ECS 8.11, https://www.elastic.co/guide/en/ecs/8.11/), so that an
 * alert log can be shipped by Filebeat/Elastic Agent or any ECS-aware SIEM without a mapping of its own.
 *
 * Field by field (nested objects, as ECS documents and Elasticsearch indexes them):
 *
 * | ECS field                         | from the alert                                                        |
 * | --------------------------------- | --------------------------------------------------------------------- |
 * | `@timestamp`                      | `timestamp` (event time, ISO 8601 UTC)                                |
 * | `ecs.version`                     | `8.11.0`                                                              |
 * | `event.kind`                      | `alert`                                                               |
 * | `event.category`                  | flow: `[network, intrusion_detection]`; robot, sensor: `[intrusion_detection]` |
 * | `event.type`                      | `[info]` (a passive detector: nothing was allowed or denied by it)   |
 * | `event.severity`                  | low 1, medium 2, high 3, critical 4                                   |
 * | `event.risk_score`                | `risk` × 100, in 0..100, two decimals                                 |
 * | `event.id`                        | alert `id`                                                            |
 * | `event.reason`, `rule.name`       | the reasons joined with `, `                                          |
 * | `event.dataset`, `event.module`   | `ipqsec.alert`, `ipqsec`                                              |
 * | `source.ip`, `related.ip`         | `ip` (flow originator, robot address); absent when null               |
 * | `destination.port`                | `ports_accessed`: a number for one port, an array for several, absent for none |
 * | `threat.framework`                | `MITRE ATT&CK` (Enterprise and ICS), absent when no technique         |
 * | `threat.technique.{id,name,reference}[]` | techniques without a `.` (T1046, T0846)                        |
 * | `threat.technique.subtechnique.{id,name,reference}[]` | sub-techniques (T1021.004)                        |
 * | `observer.vendor`, `.product`, `.type` | `IPqSEC`, `IPqSEC`, `ids`                                        |
 * | `labels.*`                        | `entity`, `event_id`, `event_type`, and `task` / `previous_task` when set |
 * | `message`                         | one line for people                                                   |
 */
import type { Alert, Severity } from '../core/records.js';

/** ECS version the documents follow. */
export const ECS_VERSION = '8.11.0';

/** ECS `event.severity` of each alert severity (the order of records.ts `Severity`). */
export const ECS_SEVERITY: Readonly<Record<Severity, number>> = { low: 1, medium: 2, high: 3, critical: 4 };

const ATTACK_URL = 'https://attack.mitre.org/techniques/';

/** ATT&CK page of a technique: `T1021.004` → `…/techniques/T1021/004/`. */
function attackReference(id: string): string {
  return `${ATTACK_URL}${id.replace('.', '/')}/`;
}

/**
 * One alert as an ECS document (plain JSON-safe object, nested). Pure; allocates only the document.
 * Field list in the module comment.
 */
export function alertToEcs(alert: Alert): Record<string, unknown> {
  const reasons = alert.reasons.join(', ');
  const doc: Record<string, unknown> = {
    '@timestamp': alert.timestamp,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'alert',
      category: alert.event_type === 'flow' ? ['network', 'intrusion_detection'] : ['intrusion_detection'],
      type: ['info'],
      severity: ECS_SEVERITY[alert.severity],
      risk_score: Math.round(Math.min(1, Math.max(0, alert.risk)) * 10_000) / 100,
      id: alert.id,
      reason: reasons,
      dataset: 'ipqsec.alert',
      module: 'ipqsec',
    },
    rule: { name: reasons },
    observer: { vendor: 'IPqSEC', product: 'IPqSEC', type: 'ids' },
    labels: labelsOf(alert),
    message: `${alert.severity} alert on ${alert.entity}: ${reasons}`,
  };
  if (alert.ip !== null) {
    doc.source = { ip: alert.ip };
    doc.related = { ip: [alert.ip] };
  }
  const ports = alert.ports_accessed;
  if (ports.length > 0) doc.destination = { port: ports.length === 1 ? ports[0] : [...ports] };
  const threat = threatOf(alert);
  if (threat !== undefined) doc.threat = threat;
  return doc;
}

function labelsOf(alert: Alert): Record<string, string> {
  const labels: Record<string, string> = { entity: alert.entity, event_id: alert.event_id, event_type: alert.event_type };
  if (alert.task !== null) labels.task = alert.task;
  if (alert.previous_task !== null) labels.previous_task = alert.previous_task;
  return labels;
}

function threatOf(alert: Alert): Record<string, unknown> | undefined {
  if (alert.techniques.length === 0) return undefined;
  const tech = { id: [] as string[], name: [] as string[], reference: [] as string[] };
  const sub = { id: [] as string[], name: [] as string[], reference: [] as string[] };
  for (const t of alert.techniques) {
    const into = t.id.includes('.') ? sub : tech;
    into.id.push(t.id);
    into.name.push(t.name);
    into.reference.push(attackReference(t.id));
  }
  const technique: Record<string, unknown> = { ...tech };
  if (sub.id.length > 0) technique.subtechnique = sub;
  return { framework: 'MITRE ATT&CK', technique };
}
