// A time-series chart drawn by uPlot. Imported only by lazily loaded pages
// (the drift desk, assets), so uPlot stays out of the first load; its few
// CSS rules the charts need are copied into styles/finance.css.
//
// The canvas is an image to assistive technology (role="img" with a label
// saying what it shows); every page that draws one also shows the figures
// as a table. Colours come from the console's CSS variables, so a chart
// follows the light or dark scheme, and it is redrawn when the scheme or
// its width changes.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export type Tone = "accent" | "bad" | "ok" | "warn" | "info" | "muted";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  tone: Tone;
  /** Bars instead of a line. */
  bars?: boolean;
}

export interface ChartProps {
  /** What the chart shows, for screen readers (the figures are in a table nearby). */
  label: string;
  /** Times of the points, in seconds since 1970 (UTC). */
  x: number[];
  series: ChartSeries[];
  height?: number;
  /** Formats a value of the y axis. */
  yFormat?: (v: number) => string;
  /** Class of the wrapper, for tests and styles. */
  class?: string;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
  return v || fallback;
}

function build(el: HTMLElement, p: ChartProps, width: number): uPlot {
  const fg = cssVar("muted", "#57606a");
  const grid = cssVar("line", "#d0d7de");
  const fmt = p.yFormat ?? ((v: number) => String(v));
  const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 24] }) : undefined;
  const opts: uPlot.Options = {
    width,
    height: p.height ?? 220,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] } },
    axes: [
      { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
      {
        stroke: fg,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
        size: 72,
        values: (_u, vals) => vals.map((v) => (v === null ? "" : fmt(v))),
      },
    ],
    series: [
      {},
      ...p.series.map((s) => {
        const color = cssVar(s.tone, "#0b5cad");
        return s.bars
          ? { label: s.label, stroke: color, fill: color, width: 0, paths: bars, points: { show: false } }
          : { label: s.label, stroke: color, width: 2, points: { show: p.x.length < 40, size: 5, fill: color } };
      }),
    ],
  };
  return new uPlot(opts, [p.x, ...p.series.map((s) => s.values)] as uPlot.AlignedData, el);
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let plot: uPlot | undefined;
    let width = 0;
    const draw = () => {
      width = Math.max(240, Math.floor(el.clientWidth));
      plot?.destroy();
      plot = build(el, props, width);
      el.dataset.drawn = "1";
    };
    draw();
    const ro = new ResizeObserver(() => {
      const w = Math.max(240, Math.floor(el.clientWidth));
      if (plot && Math.abs(w - width) > 2) {
        width = w;
        plot.setSize({ width: w, height: props.height ?? 220 });
      }
    });
    ro.observe(el);
    const scheme = window.matchMedia("(prefers-color-scheme: dark)");
    scheme.addEventListener("change", draw);
    return () => {
      ro.disconnect();
      scheme.removeEventListener("change", draw);
      plot?.destroy();
    };
  }, [props.x, props.series, props.height, props.yFormat]);
  return (
    <figure class={`chart ${props.class ?? ""}`}>
      <div class="chart-canvas" ref={box} role="img" aria-label={props.label} />
      <figcaption>
        <ul class="chart-legend">
          {props.series.map((s) => (
            <li key={s.label}>
              <span class={`chart-key ck-${s.tone}${s.bars ? " bar" : ""}`} aria-hidden="true" /> {s.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
