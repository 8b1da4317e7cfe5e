/**
 * Plain-text rendering of evaluation results for the terminal.
 */
import type { EvaluationResult, TestResult } from '../pipeline/evaluate.js';

/** A fixed-point number, or `-` for null/undefined/NaN. */
export function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);
}

/** Left-aligned text table with a header row and a rule under it. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i])))
      .join('  ')
      .trimEnd();
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

function confusionText(t: TestResult, labels: readonly string[]): string {
  const header = ['true \\ predicted', ...labels];
  const rows = t.confusion.map((r, i) => [labels[i], ...r.map(String)]);
  return textTable(header, rows);
}

/** Human-readable evaluation summary. */
export function evaluationText(r: EvaluationResult): string {
  const out: string[] = [];
  out.push(`${r.dataset}: ${r.model}, ${r.target} target, ${r.split}`);
  out.push(`train rows ${r.train_rows}${r.smote_rows ? ` (incl. ${r.smote_rows} SMOTE)` : ''}${r.skipped_rows ? `, skipped bad rows ${r.skipped_rows}` : ''}`);
  out.push('');
  out.push(
    textTable(
      ['test set', 'rows', 'accuracy', 'precision', 'recall', 'F1', 'FPR', 'ROC-AUC'],
      r.tests.map((t) => [t.name, String(t.rows), fmt(t.accuracy), fmt(t.precision), fmt(t.recall), fmt(t.f1), fmt(t.fpr), fmt(t.roc_auc)]),
    ),
  );
  out.push('');
  out.push(`fit ${r.fit_seconds.toFixed(2)} s${r.folds ? ' (mean per fold)' : ''}, prediction ${Math.round(r.predict_rows_per_second).toLocaleString('en-US')} rows/s`);
  for (const t of r.tests) {
    out.push('');
    out.push(`confusion matrix, ${t.name}:`);
    out.push(confusionText(t, r.labels));
    if (t.per_class) {
      out.push('');
      out.push(
        textTable(
          ['class', 'support', 'precision', 'recall', 'F1'],
          t.per_class.map((c) => [c.label, String(c.support), fmt(c.precision), fmt(c.recall), fmt(c.f1)]),
        ),
      );
    }
  }
  if (r.tuned && r.tuned.length > 0) {
    out.push('');
    out.push(`nested tuning chose: ${r.tuned.map((c) => `${c.fold + 1}: ${c.candidate} (${c.score.toFixed(4)})`).join('; ')}`);
  }
  if (r.feature_importance && r.feature_importance.length > 0) {
    out.push('');
    out.push(`top features: ${r.feature_importance.slice(0, 8).map((f) => `${f.name} ${f.value.toFixed(3)}`).join(', ')}`);
  }
  return out.join('\n');
}
