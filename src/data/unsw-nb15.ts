/**
 * UNSW-NB15 loader for the official training/testing partitions (Moustafa and Slay, "UNSW-NB15: a comprehensive
 * data set for network intrusion detection systems", MilCIS 2015; "The evaluation of network anomaly detection
 * systems", Information Security Journal 25, 2016).
 *
 * The partition CSVs (`UNSW_NB15_training-set.csv`, `UNSW_NB15_testing-set.csv`) start with a UTF-8 byte-order
 * mark and a header of 45 columns: `id`, 42 features, `attack_cat`, `label`.
 */
import { IpqsecError } from '../core/errors.js';
import { concatTables } from './concat-tables.js';
import { readCsv } from './csv-reader.js';
import type { LabelledDataset } from './table.js';
import { indexClasses } from './_labels.js';
import { validateDataset } from './validate-dataset.js';

/** Categorical feature columns. */
export const UNSW_NB15_CATEGORICAL: readonly string[] = ['proto', 'service', 'state'];

/**
 * Features known to leak the label through the testbed's TTL settings (Moustafa and Slay 2016 discuss the
 * TTL-based features; later analyses show near-perfect separation by them alone). Reports give results with
 * and without them: pass this list as `dropColumns`.
 */
export const UNSW_NB15_LEAKY: readonly string[] = ['sttl', 'dttl', 'ct_state_ttl'];

/**
 * Class order of the multiclass target: `normal` (the file's `Normal`), then the nine attack categories by
 * their row count in the testing partition. Every partition gets all ten classes, so models trained on one
 * and scored on the other agree on indices; a category outside this list is appended in order of first
 * appearance.
 */
export const UNSW_NB15_CLASSES: readonly string[] = [
  'normal', 'Generic', 'Exploits', 'Fuzzers', 'DoS', 'Reconnaissance', 'Analysis', 'Backdoor', 'Shellcode', 'Worms',
];

/** Options of {@link loadUnswNb15}. */
export interface UnswNb15Options {
  /** Feature columns to leave out (e.g. {@link UNSW_NB15_LEAKY}). `id` is always left out. */
  readonly dropColumns?: readonly string[];
  readonly skipBadRows?: boolean;
  readonly requireTwoClasses?: boolean;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

const CANONICAL = new Map(UNSW_NB15_CLASSES.map((c) => [c.toLowerCase(), c]));

/**
 * Normalises an `attack_cat` value: trims, maps `Normal` and the empty value to `normal`, matches the known
 * categories case-insensitively and maps the plural `Backdoors` of the full UNSW-NB15 CSVs to `Backdoor`.
 */
export function normaliseAttackCat(raw: string): string {
  const s = raw.trim();
  if (s.length === 0) return 'normal';
  const l = s.toLowerCase();
  if (l === 'backdoors') return 'Backdoor';
  return CANONICAL.get(l) ?? s;
}

/**
 * Loads one or more UNSW-NB15 partition files (concatenated in the order given).
 *
 * - features: every column but `id`, `attack_cat`, `label` and `dropColumns`; `proto`, `service`, `state`
 *   categorical. In `service`, `-` means "no application protocol identified" and is a category of its own,
 *   not a missing value; in numeric columns `-` is missing (NaN).
 * - `binary` from `label` (0/1); `multiclass` from `attack_cat` in {@link UNSW_NB15_CLASSES} order;
 *   `rawLabel` is `attack_cat` as written (trimmed).
 *
 * @throws IpqsecError from {@link readCsv}; IPQ-D014 when `label` is not 0 or 1; IPQ-D007 when `label` or
 *   `attack_cat` is absent; IPQ-D006 unless `requireTwoClasses` is false.
 */
export async function loadUnswNb15(paths: string | readonly string[], opts: UnswNb15Options = {}): Promise<LabelledDataset> {
  const files = typeof paths === 'string' ? [paths] : [...paths];
  const drop = ['id', ...(opts.dropColumns ?? []).filter((c) => c !== 'id' && c !== 'label' && c !== 'attack_cat')];
  const parts = [];
  for (const f of files) {
    const probe = await readCsv(f, {
      categorical: UNSW_NB15_CATEGORICAL.filter((c) => !drop.includes(c)),
      categoricalMissing: [''],
      labels: ['label', 'attack_cat'],
      drop,
      skipBadRows: opts.skipBadRows,
      onProgress: opts.onProgress,
    });
    parts.push(probe);
  }
  const table = concatTables(
    parts.map((p) => p.table),
    files,
  );
  const n = table.nRows;
  const binary = new Uint8Array(n);
  const rawLabel: string[] = [];
  const cats: string[] = [];
  let row = 0;
  for (const p of parts) {
    const lab = p.labels.label;
    const ac = p.labels.attack_cat;
    for (let i = 0; i < lab.length; i++, row++) {
      if (lab[i] !== '0' && lab[i] !== '1') {
        throw new IpqsecError('IPQ-D014', `label must be 0 or 1, got ${JSON.stringify(lab[i])} (data row ${i + 1})`, {
          location: { file: p.file, column: 'label' },
        });
      }
      binary[row] = lab[i] === '1' ? 1 : 0;
      rawLabel.push(ac[i]);
      cats.push(normaliseAttackCat(ac[i]));
    }
  }
  const { multiclass, classNames } = indexClasses(cats, UNSW_NB15_CLASSES, false);
  const skippedExamples = parts.flatMap((p) => p.skipped.examples.map((e) => `${p.file} ${e}`));
  return validateDataset(
    {
      name: 'unsw-nb15',
      features: table,
      binary,
      multiclass,
      classNames,
      rawLabel,
      skipped: { count: parts.reduce((s, p) => s + p.skipped.count, 0), examples: skippedExamples.slice(0, 5) },
      files,
    },
    { requireTwoClasses: opts.requireTwoClasses },
  );
}
