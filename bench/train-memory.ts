/**
 * Child process of bench/ml.ts: loads NSL-KDD KDDTrain+, trains the default GBDT, prints its peak RSS as JSON.
 * A separate process so that the peak belongs to this job alone.
 * Usage: node dist/bench/train-memory.js DATA_DIR
 */
import { join } from 'node:path';
import { loadDataset } from '../src/data/datasets.js';
import { fitModel } from '../src/pipeline/fit.js';
import { standardFitSpec } from '../src/pipeline/standard-evaluations.js';

const dir = process.argv[2];
const ds = await loadDataset('nsl-kdd', join(dir, 'nsl-kdd', 'KDDTrain+.txt'));
const fitted = await fitModel(ds, standardFitSpec('gbdt'));
// resourceUsage().maxRSS is in kilobytes (getrusage ru_maxrss on Linux).
console.log(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, fitSeconds: fitted.fitSeconds }));
