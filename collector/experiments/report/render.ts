// The experiment report: one self-contained HTML document from an analysis (uPlot, its style sheet,
// the plotting script and the data all inlined; no network needed to open it). Every plot has its
// numbers in a table beside it, rendered on the server, so the report reads with JavaScript off.
// The collector's web page serves the same document at /experiments/<id> (live: it reloads).

import { esc, page } from '../../web/html.js';
import type { PlotSpec } from '../../web/plot-spec.js';
import type { AnalysisResult as ReportAnalysis } from '../analysis-result.js';
import {
  accuracyPlot,
  armPalette,
  breakevenPlot,
  carbonPlot,
  differencesPlot,
  energyPlot,
  latencyPlot,
  timeSeriesPlots,
} from './plots.js';
import {
  accuracyTable,
  armsTable,
  assumedOffloadTable,
  autoSharesTable,
  boardPeriodTable,
  breakevenTable,
  carbonTable,
  checksTable,
  contrastsTable,
  differencesTable,
  latencyTable,
  measuredOffloadTable,
  scheduleTable,
} from './tables.js';

export interface ReportOptions {
  /** When the report was made (shown in its header); default now. */
  generatedAt?: Date;
  /** Live page of a running collector: reload every this many seconds; none = a file. */
  refreshS?: number;
  /** Navigation prepended to the body (the web page's header); none = the report alone. */
  nav?: string;
  /** A notice shown at the top (e.g. that the records come from the simulator). */
  notice?: string;
}

/** Every plot of the report, in the order it shows them (absent data → the plot is left out). */
export function reportPlots(result: ReportAnalysis): PlotSpec[] {
  const palette = armPalette(result);
  return [
    energyPlot(result, palette),
    differencesPlot(result),
    ...timeSeriesPlots(result, palette),
    latencyPlot(result, palette),
    accuracyPlot(result, palette),
    carbonPlot(result, palette),
    breakevenPlot(result, palette),
  ].filter((p): p is PlotSpec => p !== null);
}

function figure(plot: PlotSpec | undefined, tables: string, wide = false): string {
  const drawn =
    plot === undefined
      ? ''
      : `<div class="plot"><h3>${esc(plot.title)}</h3><div id="${esc(plot.id)}" class="plot-area"></div>
<noscript><span class="nojs">The plot needs JavaScript; the table has its numbers.</span></noscript>
<p class="caption">${esc(plot.caption)}</p></div>`;
  return `<section class="figure${wide ? ' wide' : ''}">${drawn}<div class="tablewrap">${tables}</div></section>`;
}

export function renderReport(result: ReportAnalysis, options: ReportOptions = {}): string {
  const plots = reportPlots(result);
  const byId = new Map(plots.map((p) => [p.id, p]));
  const e = result.experiment;
  const generated = (options.generatedAt ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  const period = `${e.periods} periods of ${e.periodS} s, washout ${e.washoutS} s`;
  const warnings = [...(options.notice === undefined ? [] : [options.notice]), ...result.checks.warnings]
    .map((w) => `<p class="warn">${esc(w)}</p>`)
    .join('\n');
  const series = result.timeSeries.map((board, i) =>
    figure(byId.get(`plot-series-${i}`), scheduleTable(result, board.device)),
  );
  const body = `${options.nav ?? ''}<main>
<h1>Experiment ${esc(e.id)}</h1>
<p class="meta">${esc(e.design)} design · ${e.devices.length} boards · arms ${esc(e.arms.map((a) => a.id).join(', '))} · ${esc(period)} · warm-up ${e.warmupS} s · seed ${e.seed} · ${esc(e.startedAt)} → ${esc(e.endedAt ?? 'running')} · analysed ${esc(result.generatedAt)} · report made ${esc(generated)}</p>
<p class="lead" id="conclusion">${esc(result.conclusion)}</p>
<p class="meta">Energy figures are what the boards' records say: a power sensor's measurement, or the board model's estimate on a board without a sensor (each record's provenance is in the store and the exports). Carbon figures are estimates of the life-cycle engine. Intervals are 95 % unless stated; each plot says what its whiskers are.</p>
${warnings}
<h2>Energy per inference</h2>
${figure(byId.get('plot-energy'), armsTable(result))}
<h2>Paired differences</h2>
${figure(byId.get('plot-differences'), `${contrastsTable(result)}${differencesTable(result)}`)}
<h2>Time series and schedule</h2>
${series.join('\n')}
<h2>Latency</h2>
${figure(byId.get('plot-latency'), latencyTable(result))}
<h2>Accuracy</h2>
${byId.has('plot-accuracy') ? figure(byId.get('plot-accuracy'), accuracyTable(result)) : '<p class="meta">No ground truth was sent for this experiment: accuracy unknown.</p>'}
<h2>Carbon per inference <span class="estimate">estimate</span></h2>
${figure(byId.get('plot-carbon'), `${carbonTable(result)}${autoSharesTable(result)}${measuredOffloadTable(result)}${assumedOffloadTable(result)}`)}
<h2>Break-even against offload <span class="estimate">estimate</span></h2>
${byId.has('plot-breakeven') ? figure(byId.get('plot-breakeven'), breakevenTable(result)) : (result.breakeven ?? []).length > 0 ? figure(undefined, breakevenTable(result)) : '<p class="meta">No break-even in this analysis.</p>'}
<h2>Checks and the per-period means</h2>
${figure(undefined, `${checksTable(result)}${boardPeriodTable(result)}`, true)}
<p class="meta">Made by edgewatt from analysis schema ${esc(result.schema)}. Everything on this page is in this one file.</p>
</main>`;
  return page({
    title: `edgewatt experiment ${e.id}`,
    body,
    plots,
    ...(options.refreshS === undefined ? {} : { refreshS: options.refreshS }),
  });
}
