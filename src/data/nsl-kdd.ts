/**
 * NSL-KDD loader (Tavallaee, Bagheri, Lu and Ghorbani, "A detailed analysis of the KDD CUP 99 data set",
 * IEEE CISDA 2009).
 *
 * Files (`KDDTrain+.txt`, `KDDTest+.txt`, `KDDTest-21.txt`, `KDDTrain+_20Percent.txt`) have no header and 43
 * columns: the 41 KDD'99 features, the attack name, and the difficulty level (0–21: how many of 21 learners
 * classified the record correctly). The difficulty goes into `meta.difficulty`, never into the features.
 */
import { readCsv } from './csv-reader.js';
import type { LabelledDataset } from './table.js';
import { validateDataset } from './validate-dataset.js';
import { IpqsecError } from '../core/errors.js';

/** The 41 feature names in file order (KDD Cup 1999 task description, "Derived features"). */
export const NSL_KDD_FEATURES: readonly string[] = [
  'duration', 'protocol_type', 'service', 'flag', 'src_bytes', 'dst_bytes', 'land', 'wrong_fragment', 'urgent', 'hot',
  'num_failed_logins', 'logged_in', 'num_compromised', 'root_shell', 'su_attempted', 'num_root', 'num_file_creations',
  'num_shells', 'num_access_files', 'num_outbound_cmds', 'is_host_login', 'is_guest_login', 'count', 'srv_count',
  'serror_rate', 'srv_serror_rate', 'rerror_rate', 'srv_rerror_rate', 'same_srv_rate', 'diff_srv_rate',
  'srv_diff_host_rate', 'dst_host_count', 'dst_host_srv_count', 'dst_host_same_srv_rate', 'dst_host_diff_srv_rate',
  'dst_host_same_src_port_rate', 'dst_host_srv_diff_host_rate', 'dst_host_serror_rate', 'dst_host_srv_serror_rate',
  'dst_host_rerror_rate', 'dst_host_srv_rerror_rate',
];

/** Categorical feature columns. */
export const NSL_KDD_CATEGORICAL: readonly string[] = ['protocol_type', 'service', 'flag'];

/** Attack families, in the fixed class order of the multiclass target. */
export const NSL_KDD_CLASSES = ['normal', 'DoS', 'Probe', 'R2L', 'U2R'] as const;

/** An NSL-KDD attack family. */
export type NslKddFamily = (typeof NSL_KDD_CLASSES)[number];

/**
 * Attack name → family. The 22 training attacks follow the KDD Cup 1999 taxonomy (`training_attack_types`);
 * the 17 attacks that occur only in the test files follow the DARPA 1999 evaluation's classification
 * (Lippmann et al., Computer Networks 34(4), 2000), as used throughout the NSL-KDD literature.
 */
export const NSL_KDD_FAMILY: Readonly<Record<string, NslKddFamily>> = {
  normal: 'normal',
  // DoS
  back: 'DoS', land: 'DoS', neptune: 'DoS', pod: 'DoS', smurf: 'DoS', teardrop: 'DoS',
  apache2: 'DoS', mailbomb: 'DoS', processtable: 'DoS', udpstorm: 'DoS',
  // Probe
  ipsweep: 'Probe', nmap: 'Probe', portsweep: 'Probe', satan: 'Probe', mscan: 'Probe', saint: 'Probe',
  // R2L
  ftp_write: 'R2L', guess_passwd: 'R2L', imap: 'R2L', multihop: 'R2L', phf: 'R2L', spy: 'R2L', warezclient: 'R2L',
  warezmaster: 'R2L', httptunnel: 'R2L', named: 'R2L', sendmail: 'R2L', snmpgetattack: 'R2L', snmpguess: 'R2L',
  worm: 'R2L', xlock: 'R2L', xsnoop: 'R2L',
  // U2R
  buffer_overflow: 'U2R', loadmodule: 'U2R', perl: 'U2R', rootkit: 'U2R', ps: 'U2R', sqlattack: 'U2R', xterm: 'U2R',
};

/** Options of {@link loadNslKdd}. */
export interface NslKddOptions {
  /** Skip and count malformed rows instead of throwing. */
  readonly skipBadRows?: boolean;
  /**
   * Family of an attack name not in {@link NSL_KDD_FAMILY} (default `'R2L'`), or `'error'` to refuse the file
   * with IPQ-D014. Such a row is always an attack in the binary target (NSL-KDD's only normal label is
   * `normal`). R2L is the default because most attacks the test files add beyond the training ones are R2L
   * (8 of 17) and R2L is the family a generic "unseen remote attack" belongs to; the raw name stays in
   * `rawLabel`.
   */
  readonly unknownAttackFamily?: Exclude<NslKddFamily, 'normal'> | 'error';
  /** Feature columns to leave out. */
  readonly dropColumns?: readonly string[];
  /** Require both normal and attack rows (default true). */
  readonly requireTwoClasses?: boolean;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * Normalises an attack name: trims, lower-cases and drops the trailing `.` of the original KDD Cup 1999 files
 * (`smurf.`), so those files load too.
 */
export function normaliseAttackName(raw: string): string {
  const s = raw.trim().toLowerCase();
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/**
 * Loads one NSL-KDD file.
 *
 * - features: the 41 columns of {@link NSL_KDD_FEATURES} (minus `dropColumns`); `protocol_type`, `service`,
 *   `flag` categorical.
 * - `binary`: 1 unless the attack name is `normal`; `multiclass`: index into {@link NSL_KDD_CLASSES}.
 * - `rawLabel`: the attack name as written; `meta.difficulty`: column 43.
 *
 * @throws IpqsecError from {@link readCsv} (IPQ-D001…D005, D008); IPQ-D014 for an unknown attack name when
 *   `unknownAttackFamily` is `'error'`; IPQ-D006 (single class) unless `requireTwoClasses` is false.
 */
export async function loadNslKdd(path: string, opts: NslKddOptions = {}): Promise<LabelledDataset> {
  const header = [...NSL_KDD_FEATURES, 'attack', 'difficulty'];
  const d = await readCsv(path, {
    header,
    categorical: NSL_KDD_CATEGORICAL.filter((c) => !(opts.dropColumns ?? []).includes(c)),
    labels: ['attack'],
    drop: opts.dropColumns?.filter((c) => c !== 'attack'),
    skipBadRows: opts.skipBadRows,
    onProgress: opts.onProgress,
  });
  const attack = d.labels.attack;
  const n = d.table.nRows;
  const binary = new Uint8Array(n);
  const multiclass = new Int32Array(n);
  const unknown = opts.unknownAttackFamily ?? 'R2L';
  const classIndex = new Map<string, number>(NSL_KDD_CLASSES.map((c, i) => [c, i]));
  for (let i = 0; i < n; i++) {
    const name = normaliseAttackName(attack[i]);
    let fam: NslKddFamily | undefined = NSL_KDD_FAMILY[name];
    if (fam === undefined) {
      if (unknown === 'error') {
        throw new IpqsecError('IPQ-D014', `unknown NSL-KDD attack name "${attack[i]}" (not in the family table)`, {
          location: { file: path, column: 'attack' },
        });
      }
      fam = unknown;
    }
    binary[i] = fam === 'normal' ? 0 : 1;
    multiclass[i] = classIndex.get(fam) as number;
  }
  const columns = d.table.columns.filter((c) => c.name !== 'difficulty');
  const diffCol = d.table.columns.find((c) => c.name === 'difficulty');
  const meta: Record<string, Float64Array> = {};
  if (diffCol !== undefined && diffCol.kind === 'numeric') meta.difficulty = diffCol.values;
  return validateDataset(
    {
      name: 'nsl-kdd',
      features: { nRows: n, columns },
      binary,
      multiclass,
      classNames: NSL_KDD_CLASSES,
      rawLabel: attack,
      meta,
      skipped: d.skipped,
      files: [path],
    },
    { requireTwoClasses: opts.requireTwoClasses },
  );
}
