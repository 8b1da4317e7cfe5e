/** Small presentational pieces shared by the views. Every server string is rendered as React text. */
import type { ReactNode } from 'react';
import { attackTechniqueUrl } from '../lib/links';
import { risk2 } from '../lib/format';
import type { RiskClass, Severity, Technique } from '../lib/types';

/** Severity as a coloured badge. */
export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`badge sev-${severity}`}>{severity}</span>;
}

/** Risk class as a coloured badge. */
export function RiskClassBadge({ value }: { value: RiskClass | string }) {
  const cls = value === 'High' ? 'risk-high' : value === 'Medium' ? 'risk-medium' : 'risk-low';
  return <span className={`badge ${cls}`}>{value}</span>;
}

/** A risk value with a small bar (the bar width is a CSS class per 10 %, no inline style). */
export function RiskValue({ risk }: { risk: number }) {
  const r = Number.isFinite(risk) ? Math.min(1, Math.max(0, risk)) : 0;
  const cls = r >= 0.7 ? 'risk-high' : r >= 0.4 ? 'risk-medium' : 'risk-low';
  return (
    <span className="risk">
      <span className="risk-num">{risk2(risk)}</span>
      <span className="risk-track" aria-hidden="true">
        <span className={`risk-fill ${cls} w${Math.round(r * 10)}`} />
      </span>
    </span>
  );
}

/** ATT&CK techniques: valid ids become links to their pages, anything else is text. */
export function Techniques({ items }: { items: readonly Technique[] }) {
  if (items.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="inline-list">
      {items.map((t, i) => {
        const url = attackTechniqueUrl(t.id);
        return (
          <li key={`${t.id}-${i}`}>
            {url === null ? (
              <span title={t.name}>{t.id}</span>
            ) : (
              <a href={url} target="_blank" rel="noopener noreferrer" title={t.name}>
                {t.id}
              </a>
            )}
            <span className="technique-name"> {t.name}</span>
          </li>
        );
      })}
    </ul>
  );
}

/** The notice of a part that is not set up on this server. */
export function NotConfigured({ what, children }: { what: string; children?: ReactNode }) {
  return (
    <div className="notice" role="status" data-testid="not-configured">
      <strong>{what}: not configured.</strong> {children}
    </div>
  );
}

/** A panel with a heading. */
export function Panel({ title, children, className, headingLevel = 2 }: { title: string; children: ReactNode; className?: string; headingLevel?: 2 | 3 }) {
  const H = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <section className={`panel ${className ?? ''}`} aria-label={title}>
      <H>{title}</H>
      {children}
    </section>
  );
}

/** A large figure with its label. */
export function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}

/** An error line. */
export function ErrorLine({ error }: { error: string | null }) {
  if (error === null) return null;
  return (
    <p className="error" role="alert">
      {error}
    </p>
  );
}
