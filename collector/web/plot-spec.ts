// What a plot is, as data: the pages build these on the server (from an analysis or the store) and
// the plotting script (plot-script.ts) draws them with uPlot in the browser. Keeping plots as data
// lets tests check every plot's series without a browser, and the browser test check the drawing.

export type PlotX = 'category' | 'time' | 'linear' | 'log';

export interface PlotSeries {
  name: string;
  /** One value per x; null = no value there (gap). */
  values: (number | null)[];
  /** Interval bounds drawn as whiskers around each value (same length as values). */
  lo?: (number | null)[];
  hi?: (number | null)[];
  style: 'points' | 'line' | 'step';
  color: string;
  /** Dashed line. */
  dash?: boolean;
}

export interface PlotSpec {
  id: string;
  title: string;
  /** One or two sentences under the plot: what is drawn and what the whiskers or bands are. */
  caption: string;
  /** y-axis label with its unit. */
  yLabel: string;
  xLabel: string;
  x: PlotX;
  /** x values: category positions 0..n-1, ms since the epoch for time, plain numbers otherwise. */
  xs: number[];
  /** Category names (x = 'category'). */
  xNames?: string[];
  series: PlotSeries[];
  /** Shaded x ranges drawn behind the series (schedule periods, washouts). */
  bands?: { from: number; to: number; color: string; label: string }[];
  /** Horizontal reference lines (zero, a contrast's estimate and interval). */
  hLines?: { y: number; label: string; color: string; dash?: boolean }[];
  /** Vertical reference lines (break-even rates). */
  vLines?: { x: number; label: string; color: string }[];
  /** Logarithmic y axis (values must be positive). */
  yLog?: boolean;
  /** Height in CSS pixels (default 260). */
  heightPx?: number;
}

/** Colours of arms in order (colour-blind-safe, Okabe–Ito). */
export const ARM_COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'];

export function armColor(index: number): string {
  return ARM_COLORS[index % ARM_COLORS.length] ?? '#0072B2';
}

/** A colour with an alpha, for shaded bands ('#0072B2' → 'rgba(0,114,178,0.12)'). */
export function translucent(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
