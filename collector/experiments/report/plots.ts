// The report's plots as data (collector/web/plot-spec.ts), built from an experiment analysis: one
// function per plot, each saying in its caption what the points and whiskers are.

import { armColor, type PlotSpec, translucent } from '../../web/plot-spec.js';
import type { AnalysisResult as ReportAnalysis } from '../analysis-result.js';
import { carbonLabel } from './tables.js';

const GREY = '#6b7280';
/** Records before the experiment (the CUPED pre-period): no arm. */
const PRE = '#b8bcc4';

/** Arm ids in the experiment's order, with each arm's colour. */
export function armPalette(result: ReportAnalysis): Map<string, string> {
  const ids = result.experiment.arms.map((a) => a.id);
  for (const a of result.arms) if (!ids.includes(a.arm)) ids.push(a.arm);
  return new Map(ids.map((id, i) => [id, armColor(i)]));
}

function colorOf(palette: Map<string, string>, arm: string): string {
  return palette.get(arm) ?? GREY;
}

export function energyPlot(result: ReportAnalysis, palette: Map<string, string>): PlotSpec {
  return {
    id: 'plot-energy',
    title: 'Energy per inference by arm',
    caption:
      'Mean gross energy per inference of each arm over its boards and periods (warm-up and washout excluded); whiskers: 95 % board-level bootstrap interval of that mean.',
    yLabel: 'energy per inference (J)',
    xLabel: 'arm',
    x: 'category',
    xs: result.arms.map((_, i) => i),
    xNames: result.arms.map((a) => a.arm),
    series: result.arms.map((a, i) => ({
      name: a.arm,
      values: result.arms.map((_, j) => (j === i ? a.energyJ.mean : null)),
      lo: result.arms.map((_, j) => (j === i ? a.energyJ.lo : null)),
      hi: result.arms.map((_, j) => (j === i ? a.energyJ.hi : null)),
      style: 'points' as const,
      color: colorOf(palette, a.arm),
    })),
  };
}

export function differencesPlot(result: ReportAnalysis): PlotSpec | null {
  const contrast = result.contrasts[0];
  const rows = result.perBoardDifferences.filter(
    (d) => contrast === undefined || (d.a === contrast.a && d.b === contrast.b),
  );
  if (rows.length === 0 || contrast === undefined) return null;
  return {
    id: 'plot-differences',
    title: `Paired difference per board: ${contrast.b} − ${contrast.a}`,
    caption: `Each point is one board: its mean energy per inference under ${contrast.b} minus under ${contrast.a}, both measured on that board. Solid line: the estimate over boards; dashed: its 95 % ${contrast.method} interval.`,
    yLabel: 'difference (J per inference)',
    xLabel: 'board',
    x: 'category',
    xs: rows.map((_, i) => i),
    xNames: rows.map((d) => d.device),
    series: [
      { name: 'board difference', values: rows.map((d) => d.diff), style: 'points', color: '#0072B2' },
    ],
    hLines: [
      { y: 0, label: 'no difference', color: GREY },
      { y: contrast.diff, label: `estimate ${contrast.diff.toPrecision(3)} J`, color: '#D55E00' },
      { y: contrast.lo, label: '95 % interval', color: '#D55E00', dash: true },
      { y: contrast.hi, label: '', color: '#D55E00', dash: true },
    ],
  };
}

/** One time series per board: energy of each (downsampled) window coloured by arm, schedule shaded. */
export function timeSeriesPlots(result: ReportAnalysis, palette: Map<string, string>): PlotSpec[] {
  const arms = [...palette.keys()];
  return result.timeSeries.map((board, index) => {
    const points = [...board.points].sort((p, q) => p[0] - q[0]);
    const series = arms.map((arm) => ({
      name: arm,
      values: points.map((p) => (p[2] === arm && !p[3] ? p[1] : null)),
      style: 'points' as const,
      color: colorOf(palette, arm),
    }));
    series.push(
      {
        name: 'washout (excluded)',
        values: points.map((p) => (p[3] && p[2] !== null ? p[1] : null)),
        style: 'points',
        color: GREY,
      },
      {
        name: 'before the experiment',
        values: points.map((p) => (p[2] === null ? p[1] : null)),
        style: 'points',
        color: PRE,
      },
    );
    const bands = result.schedule
      .filter((s) => s.device === board.device)
      .flatMap((s) => {
        const start = Date.parse(s.start);
        const washoutEnd = Date.parse(s.washoutEnd);
        const end = Date.parse(s.end);
        const color = colorOf(palette, s.arm);
        return [
          ...(washoutEnd > start
            ? [{ from: start, to: washoutEnd, color: 'rgba(107,114,128,0.28)', label: 'washout' }]
            : []),
          {
            from: Math.max(start, washoutEnd),
            to: end,
            color: translucent(color, 0.13),
            label: `period: ${s.arm}`,
          },
        ];
      });
    return {
      id: `plot-series-${index}`,
      title: `Board ${board.device}: energy per inference over time`,
      caption:
        'Each point is a downsampled window of inferences, coloured by the arm running (light grey: before the experiment); shaded: the schedule (arm periods in their colour, washout after each switch in grey; washout points are kept but excluded from the analysis).',
      yLabel: 'energy per inference (J)',
      xLabel: 'time',
      x: 'time' as const,
      xs: points.map((p) => p[0]),
      series: series.filter((s) => s.values.some((v) => v !== null)),
      bands,
      heightPx: 220,
    };
  });
}

export function latencyPlot(result: ReportAnalysis, palette: Map<string, string>): PlotSpec | null {
  const bins = [...new Set(result.latency.flatMap((l) => l.histogram.map(([ms]) => ms)))].sort(
    (a, b) => a - b,
  );
  if (bins.length === 0) return null;
  return {
    id: 'plot-latency',
    title: 'Latency distribution by arm',
    caption:
      'Share of each arm’s analysed inferences per latency bin (bins labelled by their upper edge); warm-up and washout excluded.',
    yLabel: 'share of inferences (%)',
    xLabel: 'latency (ms)',
    x: 'linear',
    xs: bins,
    series: result.latency.map((l) => {
      const total = l.histogram.reduce((sum, [, count]) => sum + count, 0);
      const byBin = new Map(l.histogram);
      return {
        name: l.arm,
        values: bins.map((ms) => (total > 0 ? ((byBin.get(ms) ?? 0) / total) * 100 : null)),
        style: 'step' as const,
        color: colorOf(palette, l.arm),
      };
    }),
  };
}

export function accuracyPlot(result: ReportAnalysis, palette: Map<string, string>): PlotSpec | null {
  const arms = result.arms.filter((a) => a.accuracy !== null);
  if (arms.length === 0) return null;
  const spread = (arm: string) =>
    result.perBoardPeriod
      .filter((p) => p.arm === arm && p.accuracy !== null)
      .map((p) => p.accuracy as number);
  return {
    id: 'plot-accuracy',
    title: 'Accuracy by arm',
    caption:
      'Share of inferences with known ground truth that were correct. Whiskers: the lowest and highest board-period accuracy of the arm (the spread, not a confidence interval).',
    yLabel: 'accuracy (%)',
    xLabel: 'arm',
    x: 'category',
    xs: arms.map((_, i) => i),
    xNames: arms.map((a) => a.arm),
    series: arms.map((a, i) => {
      const values = spread(a.arm);
      return {
        name: a.arm,
        values: arms.map((_, j) => (j === i ? (a.accuracy as number) * 100 : null)),
        lo: arms.map((_, j) => (j === i && values.length > 0 ? Math.min(...values) * 100 : null)),
        hi: arms.map((_, j) => (j === i && values.length > 0 ? Math.max(...values) * 100 : null)),
        style: 'points' as const,
        color: colorOf(palette, a.arm),
      };
    }),
  };
}

export function carbonPlot(result: ReportAnalysis, palette: Map<string, string>): PlotSpec {
  return {
    id: 'plot-carbon',
    title: 'Carbon per inference by arm (estimate)',
    caption:
      'Life-cycle gCO₂e per inference from the measured energy through the life-cycle engine (grid intensity, embodied carbon, network and datacenter from sourced factor ranges): an estimate. An auto arm (marked mixture) is the mixture of its edge share priced as an edge arm and its offloaded share priced as an offload arm. Whiskers: the engine’s Monte Carlo interval (the provenance under the table says which percentiles).',
    yLabel: 'gCO₂e per inference',
    xLabel: 'arm',
    x: 'category',
    xs: result.arms.map((_, i) => i),
    xNames: result.arms.map(carbonLabel),
    series: result.arms.map((a, i) => ({
      name: a.arm,
      values: result.arms.map((_, j) => (j === i ? a.carbonPerInferenceG.central : null)),
      lo: result.arms.map((_, j) => (j === i ? a.carbonPerInferenceG.lo : null)),
      hi: result.arms.map((_, j) => (j === i ? a.carbonPerInferenceG.hi : null)),
      style: 'points' as const,
      color: colorOf(palette, a.arm),
    })),
  };
}

export function breakevenPlot(result: ReportAnalysis, palette: Map<string, string>): PlotSpec | null {
  const arms = (result.breakeven ?? []).filter((a) => a.inferencesPerDay !== null && a.inferencesPerDay > 0);
  if (arms.length === 0) return null;
  return {
    id: 'plot-breakeven',
    title: 'Break-even inference rate against offload, by arm (estimate)',
    caption:
      'The daily inference count at which running the model on the board emits as much as offloading it, from the measured energy through the life-cycle engine at central factor values (the table says on which side edge is lower): an edge arm against the measured offload arm of the same model (else the scenario’s offload terms), an offload arm against the edge arm of the same model, an auto arm its edge share against its offloaded share. Log scale; arms without a break-even between 0.001 and 10⁹ per day are in the table only.',
    yLabel: 'inferences per day (log scale)',
    xLabel: 'arm',
    x: 'category',
    yLog: true,
    xs: arms.map((_, i) => i),
    xNames: arms.map((a) => a.arm),
    series: arms.map((a, i) => ({
      name: a.arm,
      values: arms.map((_, j) => (j === i ? a.inferencesPerDay : null)),
      style: 'points' as const,
      color: colorOf(palette, a.arm),
    })),
  };
}
