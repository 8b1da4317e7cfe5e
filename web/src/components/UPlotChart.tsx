/**
 * A uPlot chart (https://github.com/leeoniya/uPlot) sized to its container. uPlot draws on a canvas and sets its
 * element styles through the CSSOM (allowed by `style-src 'self'`); its stylesheet is bundled as a file.
 * The chart is created once per `opts` and updated in place with `setData` when `data` changes.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Props: uPlot options without width (taken from the container), the data, and an accessible description. */
export interface UPlotChartProps {
  readonly options: Omit<uPlot.Options, 'width'>;
  readonly data: uPlot.AlignedData;
  /** Accessible name of the chart (role img). */
  readonly label: string;
  readonly testId?: string;
}

/** The chart; `options` must keep its identity between renders (useMemo), or the chart is rebuilt. */
export function UPlotChart({ options, data, label, testId }: UPlotChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const width = Math.max(200, el.clientWidth);
    const u = new uPlot({ ...options, width }, latest.current, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: options.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [options]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div ref={box} className="chart" role="img" aria-label={label} data-testid={testId} />;
}
