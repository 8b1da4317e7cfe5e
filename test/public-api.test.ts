import { describe, expect, it } from 'vitest';
import * as ipqsec from '../src/index.js';

describe('public API (package entry point)', () => {
  it('exposes the models, the registry and the pipelines, and a model trained through it predicts', async () => {
    expect(ipqsec.MODEL_KINDS).toEqual(['gbdt', 'forest', 'logistic', 'iforest', 'hybrid']);
    const X = ipqsec.fromRows(Array.from({ length: 200 }, (_, i) => [i % 100, (i * 7) % 13]));
    const y = Int32Array.from({ length: 200 }, (_, i) => (i % 100 >= 50 ? 1 : 0));
    const m = await ipqsec.trainModel('gbdt', X, y, 2, { maxIter: 20, minSamplesLeaf: 5 });
    const back = ipqsec.deserializeModel(m.serialize());
    expect(ipqsec.binaryMetrics(y, back.predict(X)).accuracy).toBe(1);
    expect(typeof ipqsec.evaluate).toBe('function');
    expect(typeof ipqsec.loadNslKdd).toBe('function');
  });

  it('exposes the live service: a simulated run scored by the engine through the public API finds its attacks', () => {
    const { events, truth } = ipqsec.simulate({ seed: 3, startMs: Date.UTC(2026, 0, 1), durationS: 60, flowsPerSecond: 50, sensors: 10, scenarios: ['port_scan', 'robot_suspicious_port'] });
    expect(events.length).toBeLessThanOrEqual(ipqsec.MAX_EVENTS_PER_BATCH);
    let n = 0;
    const engine = new ipqsec.DetectionEngine({}, { newId: () => `a${n++}` });
    const out = engine.scoreBatch(ipqsec.parseEvents(events, () => `e${n++}`), true);
    const scores = ipqsec.scoreRun(truth, events.map((e, i) => ({ event: e, alerts: out.scored[i]!.alert === null ? [] : [{ reasons: [...out.scored[i]!.alert!.reasons] }] })));
    for (const kind of ['port_scan', 'robot_suspicious_port']) expect(scores.find((s) => s.kind === kind)?.recall).toBe(1);
    expect(typeof ipqsec.buildApp).toBe('function');
    expect(typeof ipqsec.openSqliteStore).toBe('function');
  });
});
