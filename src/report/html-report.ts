/**
 * The evaluation report: one self-contained HTML page (inline CSS and inline SVG, no script, no external
 * resource, a strict Content-Security-Policy) showing the metrics, ROC curves, the confusion matrix,
 * per-class scores and the most important features of one evaluated model.
 *
 * Every string from the input is escaped: class and feature names come from user CSV files.
 */
import { escapeXml, heatmapGrid, horizontalBars, lineChart, SERIES_COLOURS, CHART_FONT } from './svg-charts.js';

/** One ROC curve: false positive rate against true positive rate, in threshold order. */
export interface RocCurveInput {
  /** Legend label, e.g. `KDDTest+` or `KDDTest-21`. */
  readonly label: string;
  readonly fpr: readonly number[] | Float64Array;
  readonly tpr: readonly number[] | Float64Array;
  /** Area under the curve, or null when undefined (a test set with one class). */
  readonly auc: number | null;
}

/** Scores of one class (one-vs-rest). */
export interface PerClassInput {
  readonly label: string;
  readonly recall: number | null;
  readonly precision: number | null;
  readonly f1: number | null;
  /** Rows of this class in the test set. */
  readonly support: number;
}

/**
 * What the evaluation report shows.
 *
 * `metrics` keys are shown with a readable name and unit when known (case, `_` and `-` ignored):
 * `accuracy`, `balancedAccuracy`, `precision`, `recall`, `f1`, `macroF1`, `weightedF1`, `fpr`, `fnr`,
 * `rocAuc` (or `auc`), `prAuc`, `mcc`, `fitSeconds`, `predictSeconds`, `predictRowsPerSecond`, `trainRows`,
 * `testRows`; other keys are shown as given, after the known ones. `null` shows as `n/a`.
 */
export interface EvaluationReportInput {
  /** Page heading, e.g. `GBDT on NSL-KDD`. */
  readonly title: string;
  readonly dataset: string;
  /** Model kind and the main hyper-parameters, e.g. `gbdt (300 trees, depth 6)`. */
  readonly model: string;
  /** How the data was split, e.g. `KDDTrain+ → KDDTest+ (official split)` or `5-fold stratified CV`. */
  readonly split: string;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly roc?: readonly RocCurveInput[];
  /** Confusion matrix: `matrix[true][predicted]` counts, `labels.length` square. */
  readonly confusion: { readonly labels: readonly string[]; readonly matrix: readonly (readonly number[])[] };
  readonly perClass?: readonly PerClassInput[];
  /** Importance per model feature; the report shows the top {@link RenderOptions.topFeatures}. */
  readonly featureImportance?: readonly { readonly name: string; readonly value: number }[];
  /** Free-text remarks shown at the end (caveats, data notes). */
  readonly notes?: readonly string[];
}

/** Options of {@link renderEvaluationReport}. */
export interface RenderOptions {
  /** How many feature importances to show; default 20. */
  readonly topFeatures?: number;
}

/** The Content-Security-Policy of every report: nothing may load, inline styles only. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

type MetricKind = 'ratio' | 'seconds' | 'rate' | 'count' | 'coef';

/** Known metrics in display order: normalised key → label and kind. */
const KNOWN_METRICS: readonly { keys: readonly string[]; label: string; kind: MetricKind }[] = [
  { keys: ['accuracy', 'acc'], label: 'Accuracy', kind: 'ratio' },
  { keys: ['balancedaccuracy'], label: 'Balanced accuracy', kind: 'ratio' },
  { keys: ['precision'], label: 'Precision', kind: 'ratio' },
  { keys: ['recall', 'tpr', 'detectionrate'], label: 'Recall (detection rate)', kind: 'ratio' },
  { keys: ['f1', 'f1score'], label: 'F1 score', kind: 'ratio' },
  { keys: ['macrof1'], label: 'Macro F1', kind: 'ratio' },
  { keys: ['weightedf1'], label: 'Weighted F1', kind: 'ratio' },
  { keys: ['fpr', 'falsepositiverate', 'falsealarmrate'], label: 'False positive rate', kind: 'ratio' },
  { keys: ['fnr', 'falsenegativerate'], label: 'False negative rate', kind: 'ratio' },
  { keys: ['rocauc', 'auc', 'auroc'], label: 'ROC-AUC', kind: 'ratio' },
  { keys: ['prauc', 'averageprecision', 'auprc'], label: 'PR-AUC', kind: 'ratio' },
  { keys: ['mcc'], label: 'Matthews correlation', kind: 'coef' },
  { keys: ['fitseconds', 'fittime', 'trainseconds'], label: 'Fit time', kind: 'seconds' },
  { keys: ['predictseconds', 'predicttime'], label: 'Predict time', kind: 'seconds' },
  { keys: ['predictrowspersecond', 'predictrowspersec', 'rowspersecond', 'throughput'], label: 'Predict throughput', kind: 'rate' },
  { keys: ['trainrows'], label: 'Training rows', kind: 'count' },
  { keys: ['testrows'], label: 'Test rows', kind: 'count' },
];

/** Headline tiles: normalised key of a known metric and the short tile label. */
const TILES: readonly { key: string; label: string }[] = [
  { key: 'accuracy', label: 'Accuracy' },
  { key: 'f1', label: 'F1' },
  { key: 'rocauc', label: 'ROC-AUC' },
  { key: 'fpr', label: 'FPR' },
];

const normKey = (k: string): string => k.toLowerCase().replace(/[_\-\s]/g, '');

const esc = escapeXml;

/**
 * Renders the evaluation report as one HTML5 page (UTF-8 string).
 *
 * The page has no script and loads nothing; charts are inline SVG built by `svg-charts.ts` (one `<svg>` per
 * chart: ROC, confusion matrix, per-class recall when `perClass` is given, feature importance when given).
 * The ROC chart is omitted when `roc` is absent or empty.
 * @throws RangeError when `confusion.matrix` is not `labels.length` square, or a ROC curve has
 *   `fpr.length !== tpr.length`.
 */
export function renderEvaluationReport(report: EvaluationReportInput, options: RenderOptions = {}): string {
  const topN = options.topFeatures ?? 20;
  const { labels, matrix } = report.confusion;
  if (matrix.length !== labels.length || matrix.some((row) => row.length !== labels.length)) {
    throw new RangeError(`renderEvaluationReport: confusion matrix must be ${labels.length} × ${labels.length}`);
  }
  const metrics = orderedMetrics(report.metrics);
  const sections: string[] = [];

  // Headline tiles and the metrics table.
  const tiles = TILES.flatMap((t) => {
    const m = metrics.find((x) => x.norm === t.key);
    return m === undefined ? [] : [{ label: t.label, m }];
  });
  const tileHtml =
    tiles.length === 0
      ? ''
      : `<div class="tiles">${tiles
          .map((t) => `<div class="tile" title="${esc(t.m.label)}"><div class="tile-label">${esc(t.label)}</div><div class="tile-value">${formatMetric(t.m)}</div></div>`)
          .join('')}</div>`;
  const rows = metrics
    .map((m) => `<tr><th scope="row">${esc(m.label)}</th><td class="num">${formatMetric(m)}</td></tr>`)
    .join('');
  sections.push(
    card(
      'Metrics',
      `${tileHtml}<table class="metrics"><tbody>${rows === '' ? '<tr><td class="muted">no metrics</td></tr>' : rows}</tbody></table>`,
      'metrics',
    ),
  );

  const roc = report.roc ?? [];
  if (roc.length > 0) {
    const svg = lineChart(
      roc.map((c) => ({ label: `${c.label} (AUC ${c.auc === null || !Number.isFinite(c.auc) ? 'n/a' : c.auc.toFixed(4)})`, x: c.fpr, y: c.tpr })),
      { title: 'ROC curve', xLabel: 'False positive rate', yLabel: 'True positive rate', diagonal: true, width: 470, height: 420 },
    );
    sections.push(card('ROC curve', `<figure>${svg}</figure>`, 'roc'));
  }

  const hasPerClass = report.perClass !== undefined && report.perClass.length > 0;
  // Up to 6 classes the confusion matrix and the per-class card share a row; larger grids get the full width.
  const wideClasses = !hasPerClass || labels.length > 6;
  const total = matrix.reduce((s, row) => s + row.reduce((a, v) => a + (Number.isFinite(v) ? v : 0), 0), 0);
  const correct = matrix.reduce((s, row, i) => s + (Number.isFinite(row[i]) ? row[i] : 0), 0);
  sections.push(
    card(
      'Confusion matrix',
      `<figure>${heatmapGrid({ title: 'Confusion matrix', rowLabels: labels, colLabels: labels, values: matrix, rowTitle: 'True class', colTitle: 'Predicted class' })}` +
        `<figcaption>Rows are true classes, columns predicted classes; shading and percentages are shares of the true class. ` +
        `${correct.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows on the diagonal.${binaryErrors(labels, matrix)}</figcaption></figure>`,
      wideClasses ? 'confusion wide' : 'confusion',
    ),
  );

  if (report.perClass !== undefined && hasPerClass) {
    const pc = report.perClass;
    const bars = horizontalBars(
      pc.map((c) => ({ label: c.label, value: c.recall ?? NaN, text: c.recall === null ? 'n/a' : c.recall.toFixed(3) })),
      { title: 'Recall per class', maxValue: 1, width: 500, colour: SERIES_COLOURS[2] },
    );
    const table =
      '<table class="per-class"><thead><tr><th scope="col">Class</th><th scope="col" class="num">Precision</th><th scope="col" class="num">Recall</th>' +
      '<th scope="col" class="num">F1</th><th scope="col" class="num">Support</th></tr></thead><tbody>' +
      pc
        .map(
          (c) =>
            `<tr><th scope="row">${esc(c.label)}</th><td class="num">${ratio(c.precision)}</td><td class="num">${ratio(c.recall)}</td>` +
            `<td class="num">${ratio(c.f1)}</td><td class="num">${esc(c.support.toLocaleString('en-US'))}</td></tr>`,
        )
        .join('') +
      '</tbody></table>';
    const body = `<div class="split"><figure>${bars}<figcaption>Recall per class (one vs rest).</figcaption></figure>${table}</div>`;
    sections.push(card('Per-class scores', body, wideClasses ? 'per-class wide' : 'per-class'));
  }

  if (report.featureImportance !== undefined && report.featureImportance.length > 0) {
    const all = report.featureImportance.filter((f) => Number.isFinite(f.value));
    const top = [...all].sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1)).slice(0, topN);
    const sum = all.reduce((s, f) => s + Math.max(0, f.value), 0);
    const svg = horizontalBars(
      top.map((f) => ({ label: f.name, value: f.value, text: sum > 0 ? `${((f.value / sum) * 100).toFixed(1)}%` : String(f.value) })),
      { title: `Top ${top.length} feature importances`, width: 980, colour: SERIES_COLOURS[0] },
    );
    sections.push(
      card(
        'Feature importance',
        `<figure>${svg}<figcaption>Top ${top.length} of ${report.featureImportance.length} model features; bars are each feature's share of the total importance.</figcaption></figure>`,
        'importance',
      ),
    );
  }

  if (report.notes !== undefined && report.notes.length > 0) {
    sections.push(card('Notes', `<ul class="notes">${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`, 'notes'));
  }

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="IPqSEC">',
    `<title>${esc(report.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    '<div class="brand">IPqSEC · evaluation report</div>',
    `<h1>${esc(report.title)}</h1>`,
    '<dl class="facts">',
    `<div><dt>Data set</dt><dd>${esc(report.dataset)}</dd></div>`,
    `<div><dt>Model</dt><dd>${esc(report.model)}</dd></div>`,
    `<div><dt>Split</dt><dd>${esc(report.split)}</dd></div>`,
    '</dl>',
    '</header>',
    `<main>${sections.join('')}</main>`,
    '<footer>Generated by IPqSEC. Self-contained page: no scripts, no external resources.</footer>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

interface OrderedMetric {
  readonly key: string;
  readonly norm: string;
  readonly label: string;
  readonly kind: MetricKind | 'other';
  readonly value: number | null;
}

/** Known metrics first, in {@link KNOWN_METRICS} order, then the others in input order. */
function orderedMetrics(metrics: Readonly<Record<string, number | null>>): OrderedMetric[] {
  const known: { rank: number; m: OrderedMetric }[] = [];
  const other: OrderedMetric[] = [];
  for (const [key, value] of Object.entries(metrics)) {
    const norm = normKey(key);
    const rank = KNOWN_METRICS.findIndex((k) => k.keys.includes(norm));
    if (rank >= 0) {
      const spec = KNOWN_METRICS[rank];
      known.push({ rank, m: { key, norm: spec.keys[0], label: spec.label, kind: spec.kind, value } });
    } else {
      other.push({ key, norm, label: key, kind: 'other', value });
    }
  }
  known.sort((a, b) => a.rank - b.rank);
  return [...known.map((k) => k.m), ...other];
}

/** A metric value as escaped HTML, with its unit. */
function formatMetric(m: OrderedMetric): string {
  const v = m.value;
  if (v === null || !Number.isFinite(v)) return '<span class="muted">n/a</span>';
  switch (m.kind) {
    case 'ratio':
    case 'coef':
      return esc(v.toFixed(4));
    case 'seconds':
      return esc(v >= 100 ? `${v.toFixed(0)} s` : v >= 1 ? `${v.toFixed(2)} s` : `${(v * 1000).toPrecision(3)} ms`);
    case 'rate':
      return `${esc(Math.round(v).toLocaleString('en-US'))}<span class="unit"> rows/s</span>`;
    case 'count':
      return esc(Math.round(v).toLocaleString('en-US'));
    default:
      return esc(Number.isInteger(v) ? v.toLocaleString('en-US') : String(Number(v.toPrecision(5))));
  }
}

/** For a binary matrix (class 0 normal, class 1 attack): the false positive and false negative counts. */
function binaryErrors(labels: readonly string[], m: readonly (readonly number[])[]): string {
  if (labels.length !== 2) return '';
  const n = (v: number): string => esc(Number.isFinite(v) ? v.toLocaleString('en-US') : 'n/a');
  return (
    ` False positives (${esc(labels[0])} predicted as ${esc(labels[1])}): ${n(m[0][1])};` +
    ` false negatives (${esc(labels[1])} predicted as ${esc(labels[0])}): ${n(m[1][0])}.`
  );
}

const ratio = (v: number | null): string => (v === null || !Number.isFinite(v) ? '<span class="muted">n/a</span>' : esc(v.toFixed(4)));

/** A titled section; `kind` is `id` optionally followed by ` wide` (spans the whole page width). */
function card(title: string, body: string, kind: string): string {
  const [id, wide] = kind.split(' ');
  return `<section class="card card-${id}${wide === undefined ? '' : ' wide'}" aria-labelledby="h-${id}"><h2 id="h-${id}">${esc(title)}</h2>${body}</section>`;
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: #1f2937; font: 14px/1.5 ${CHART_FONT}; }
header { background: #0f172a; color: #f8fafc; padding: 28px 40px 24px; }
.brand { font-size: 12px; letter-spacing: .08em; text-transform: uppercase; color: #94a3b8; }
h1 { margin: 6px 0 14px; font-size: 26px; font-weight: 650; overflow-wrap: anywhere; }
.facts { display: flex; flex-wrap: wrap; gap: 10px 36px; margin: 0; }
.facts div { min-width: 0; }
.facts dt { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: #94a3b8; }
.facts dd { margin: 2px 0 0; font-size: 15px; overflow-wrap: anywhere; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 20px; padding: 24px 40px; max-width: 1240px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 18px 22px 20px; min-width: 0; box-shadow: 0 1px 2px rgba(15, 23, 42, .05); }
.card.wide, .card-importance, .card-notes { grid-column: 1 / -1; }
.split { display: grid; grid-template-columns: 1fr; gap: 16px; align-items: start; }
.wide .split { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 28px; }
h2 { margin: 0 0 14px; font-size: 15px; font-weight: 650; color: #111827; }
figure { margin: 0; overflow-x: auto; }
figcaption { margin-top: 8px; font-size: 12px; color: #6b7280; }
svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid #f1f5f9; text-align: left; overflow-wrap: anywhere; }
thead th { font-size: 12px; color: #6b7280; font-weight: 600; border-bottom: 1px solid #e5e7eb; }
tbody th { font-weight: 500; color: #374151; }
.num { text-align: right; white-space: nowrap; }
.muted { color: #9ca3af; }
.unit { color: #6b7280; font-size: 12px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(100px, 1fr)); gap: 10px; margin-bottom: 14px; }
.tile { background: #f8fafc; border: 1px solid #e2e8f0; border-radius: 8px; padding: 10px 12px; }
.tile-label { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: #64748b; }
.tile-value { font-size: 22px; font-weight: 650; color: #0f172a; font-variant-numeric: tabular-nums; }
.notes { margin: 0; padding-left: 20px; }
.notes li { margin: 4px 0; overflow-wrap: anywhere; }
footer { padding: 0 40px 28px; font-size: 12px; color: #9ca3af; }
@media (max-width: 760px) { main { grid-template-columns: 1fr; padding: 16px; } header { padding: 20px 16px; } .wide .split { grid-template-columns: 1fr; } }
@media print { body { background: #fff; } .card { break-inside: avoid; box-shadow: none; } header { background: #fff; color: #000; } }
`;
