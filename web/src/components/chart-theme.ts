/** Shared uPlot settings of the dark theme (axis and grid colours, severity colours). */
import type uPlot from 'uplot';
import type { Severity } from '../lib/types';

/** Axis text and tick colour. */
export const AXIS_STROKE = '#aab4c3';
/** Grid line colour. */
export const GRID_STROKE = 'rgba(170,180,195,0.12)';

/** Severity colours (the same as the `.sev-*` CSS classes). */
export const SEVERITY_COLOUR: Record<Severity, string> = {
  low: '#60a5fa',
  medium: '#facc15',
  high: '#fb923c',
  critical: '#f43f5e',
};

/** A time x axis and one y axis in the theme's colours. */
export function axes(yLabel: string, extra: uPlot.Axis[] = []): uPlot.Axis[] {
  const a = { stroke: AXIS_STROKE, grid: { stroke: GRID_STROKE, width: 1 }, ticks: { stroke: GRID_STROKE, width: 1 } };
  return [{ ...a }, { ...a, label: yLabel, size: 56 }, ...extra.map((e) => ({ ...a, ...e }))];
}
