import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balancedTags } from '../../test/balanced-tags.js';
import { REPORT_CSP, renderEvaluationReport } from './html-report.js';
import type { EvaluationReportInput } from './html-report.js';

const VOID_ELEMENTS = ['meta'];
/** Elements the report may contain; anything else in the output came from unescaped input. */
const ALLOWED = new Set([
  'html', 'head', 'meta', 'title', 'style', 'body', 'header', 'div', 'h1', 'h2', 'dl', 'dt', 'dd', 'main', 'section',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span', 'figure', 'figcaption', 'ul', 'li', 'footer',
  'svg', 'rect', 'line', 'text', 'path', 'g', 'clipPath',
]);


const count = (s: string, sub: string): number => s.split(sub).length - 1;

function fullReport(): EvaluationReportInput {
  return {
    title: 'GBDT on NSL-KDD',
    dataset: 'nsl-kdd',
    model: 'gbdt (300 trees)',
    split: 'KDDTrain+ → KDDTest+',
    metrics: { accuracy: 0.8021, precision: 0.9612, recall: 0.6873, f1: 0.8015, fpr: 0.0272, roc_auc: 0.9581, fitSeconds: 41.7, predictRowsPerSecond: 2345678, mystery: null },
    roc: [
      { label: 'KDDTest+', fpr: [0, 0.1, 1], tpr: [0, 0.9, 1], auc: 0.9581 },
      { label: 'KDDTest-21', fpr: [0, 0.3, 1], tpr: [0, 0.7, 1], auc: 0.8012 },
    ],
    confusion: { labels: ['normal', 'dos', 'probe'], matrix: [[9458, 45, 171], [1201, 6122, 134], [153, 102, 2166]] },
    perClass: [
      { label: 'normal', recall: 0.9739, precision: 0.8, f1: 0.87, support: 9674 },
      { label: 'dos', recall: 0.8209, precision: 0.98, f1: 0.89, support: 7457 },
      { label: 'probe', recall: null, precision: 0.87, f1: 0.88, support: 2421 },
    ],
    featureImportance: Array.from({ length: 30 }, (_, i) => ({ name: `feat_${String(i).padStart(2, '0')}`, value: 30 - i })),
    notes: ['KDDTest-21 holds the harder records.'],
  };
}

describe('renderEvaluationReport', () => {
  it('is one self-contained page with the strict CSP and no script or external reference', () => {
    const html = renderEvaluationReport(fullReport());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`);
    expect(REPORT_CSP).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|@import|\bon\w+=/i);
    // The only url() references are to clip paths defined in the same page.
    for (const m of html.matchAll(/url\(([^)]*)\)/g)) expect(m[1]).toMatch(/^#clip-/);
    const names = balancedTags(html, VOID_ELEMENTS);
    for (const n of names) expect(ALLOWED.has(n), n).toBe(true);
  });

  it('draws one svg per chart: ROC, confusion matrix, per-class recall, feature importance', () => {
    expect(count(renderEvaluationReport(fullReport()), '<svg')).toBe(4);
    const { roc: _r, perClass: _p, featureImportance: _f, ...minimal } = fullReport();
    expect(count(renderEvaluationReport(minimal), '<svg')).toBe(1);
    expect(count(renderEvaluationReport({ ...minimal, roc: [] }), '<svg')).toBe(1);
  });

  it('shows the title, facts, metrics with units and the counts', () => {
    const html = renderEvaluationReport(fullReport());
    expect(html).toContain('<title>GBDT on NSL-KDD</title>');
    expect(html).toContain('<h1>GBDT on NSL-KDD</h1>');
    for (const s of ['nsl-kdd', 'gbdt (300 trees)', 'KDDTrain+ → KDDTest+']) expect(html).toContain(`<dd>${s}</dd>`);
    expect(html).toMatch(/<th scope="row">Accuracy<\/th><td class="num">0\.8021<\/td>/);
    expect(html).toMatch(/<th scope="row">ROC-AUC<\/th><td class="num">0\.9581<\/td>/); // roc_auc recognised
    expect(html).toMatch(/<th scope="row">False positive rate<\/th><td class="num">0\.0272<\/td>/);
    expect(html).toContain('41.70 s');
    expect(html).toContain('2,345,678<span class="unit"> rows/s</span>');
    expect(html).toMatch(/<th scope="row">mystery<\/th><td class="num"><span class="muted">n\/a<\/span>/);
    // Known metrics come first, in a fixed order, unknown ones last.
    const order = ['>Accuracy<', '>Precision<', '>Recall (detection rate)<', '>F1 score<', '>False positive rate<', '>ROC-AUC<', '>Fit time<', '>mystery<'];
    const table = html.slice(html.indexOf('<table class="metrics">'));
    const pos = order.map((o) => table.indexOf(o));
    expect(pos.every((p) => p >= 0)).toBe(true);
    expect([...pos].sort((a, b) => a - b)).toEqual(pos);
    for (const n of ['9,458', '6,122', '2,166', '1,201']) expect(html).toContain(`>${n}</text>`);
    expect(html).toContain('KDDTest+ (AUC 0.9581)');
    expect(html).toContain('KDDTest-21 (AUC 0.8012)');
    // 9458 + 6122 + 2166 = 17,746 on the diagonal of 19,552 rows.
    expect(html).toContain('17,746 of 19,552 rows on the diagonal');
  });

  it('names false positives and false negatives for a binary matrix', () => {
    const html = renderEvaluationReport({ ...fullReport(), perClass: undefined, confusion: { labels: ['normal', 'attack'], matrix: [[900, 12], [34, 1054]] } });
    expect(html).toContain('False positives (normal predicted as attack): 12;');
    expect(html).toContain('false negatives (attack predicted as normal): 34.');
  });

  it('shows the top 20 feature importances, largest first', () => {
    const html = renderEvaluationReport(fullReport());
    for (let i = 0; i < 20; i++) expect(html).toContain(`feat_${String(i).padStart(2, '0')}`);
    for (let i = 20; i < 30; i++) expect(html).not.toContain(`feat_${i}`);
    expect(html.indexOf('>feat_00<')).toBeLessThan(html.indexOf('>feat_19<'));
    expect(html).toContain('Top 20 of 30 model features');
    // Shares of the total: 30 / sum(1..30) = 30 / 465 = 6.5 %.
    expect(html).toContain('>6.5%<');
    expect(renderEvaluationReport(fullReport(), { topFeatures: 5 })).not.toContain('feat_05');
  });

  it('shows per-class scores with n/a for a missing value', () => {
    const html = renderEvaluationReport(fullReport());
    expect(html).toMatch(/<th scope="row">dos<\/th><td class="num">0\.9800<\/td><td class="num">0\.8209<\/td><td class="num">0\.8900<\/td><td class="num">7,457<\/td>/);
    expect(html).toContain('>0.974<'); // recall bar text
    expect(html).toMatch(/<th scope="row">probe<\/th><td class="num">0\.8700<\/td><td class="num"><span class="muted">n\/a/);
  });

  it('renders injection strings in every field as text', () => {
    const evil = ['<script>alert(1)</script>', '"><img onerror=alert(1) src=x>', "'><svg onload=alert(1)>", '</style><script>x</script>'];
    const e = (i: number) => evil[i % evil.length];
    const r = fullReport();
    const html = renderEvaluationReport({
      ...r,
      title: e(0), dataset: e(1), model: e(2), split: e(3),
      metrics: { [e(0)]: 1, [e(1)]: null },
      roc: [{ label: e(1), fpr: [0, 1], tpr: [0, 1], auc: 0.5 }],
      confusion: { labels: [e(0), e(1), e(2)], matrix: r.confusion.matrix },
      perClass: r.perClass!.map((c, i) => ({ ...c, label: e(i + 2) })),
      featureImportance: evil.map((name, i) => ({ name, value: i + 1 })),
      notes: evil,
    });
    expect(html).not.toMatch(/<script|<img|<svg onload|<\/style><script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img onerror=alert(1) src=x&gt;');
    const names = balancedTags(html, VOID_ELEMENTS);
    for (const n of names) expect(ALLOWED.has(n), n).toBe(true);
    expect(count(html, '<svg')).toBe(4);
  });

  it('emits only its own elements for arbitrary names (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 30 }), { minLength: 1, maxLength: 4 }),
        fc.string({ maxLength: 40 }),
        fc.array(fc.record({ name: fc.string({ maxLength: 20 }), value: fc.double({ min: 0, max: 10, noNaN: true }) }), { maxLength: 5 }),
        (labels, title, featureImportance) => {
          const matrix = labels.map((_, i) => labels.map((_, j) => (i === j ? 10 : 1)));
          const html = renderEvaluationReport({
            title, dataset: title, model: title, split: title, metrics: { [title]: 0.5 },
            roc: [{ label: title, fpr: [0, 1], tpr: [0, 1], auc: null }],
            confusion: { labels, matrix },
            perClass: labels.map((label) => ({ label, recall: 0.5, precision: 0.5, f1: 0.5, support: 10 })),
            featureImportance, notes: [title],
          });
          for (const n of balancedTags(html, VOID_ELEMENTS)) expect(ALLOWED.has(n), n).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects a confusion matrix that is not square over its labels', () => {
    const r = fullReport();
    expect(() => renderEvaluationReport({ ...r, confusion: { labels: ['a', 'b'], matrix: [[1, 2, 3], [4, 5, 6]] } })).toThrow(RangeError);
  });

  it('is deterministic', () => {
    expect(renderEvaluationReport(fullReport())).toBe(renderEvaluationReport(fullReport()));
  });
});
