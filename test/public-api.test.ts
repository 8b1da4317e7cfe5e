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
});
