// The report as a document: self-contained (no URL outside it), every plot with data, the data
// island safe inside its <script>, the numbers in tables, text escaped.

import { describe, expect, it } from 'vitest';
import { analysisResultSchema } from '../../collector/experiments/analysis-result.js';
import { renderReport, reportPlots } from '../../collector/experiments/report/render.js';
import { fixtureAnalysis } from './report-fixture.js';

const island = (html: string) => {
  const match = /<script type="application\/json" id="edgewatt-plots">([\s\S]*?)<\/script>/.exec(html);
  if (match?.[1] === undefined) throw new Error('no data island');
  return JSON.parse(match[1]) as ReturnType<typeof reportPlots>;
};

describe('experiment report', () => {
  const analysis = fixtureAnalysis();
  const html = renderReport(analysis, { generatedAt: new Date('2026-11-28T12:00:00Z') });

  it('is rendered from an analysis in the contract’s shape', () => {
    expect(() => analysisResultSchema.parse(analysis)).not.toThrow();
  });

  it('is one document with uPlot and its style sheet inlined and nothing fetched', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('uPlot'); // the library itself
    expect(html).toContain('.u-legend'); // its style sheet
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/url\(\s*['"]?(https?:)?\/\//i);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
  });

  it('has every plot the issue names, each with values in every series', () => {
    const plots = island(html);
    expect(plots).toEqual(reportPlots(analysis));
    const ids = plots.map((p) => p.id);
    for (const id of [
      'plot-energy',
      'plot-differences',
      'plot-latency',
      'plot-accuracy',
      'plot-carbon',
      'plot-breakeven',
    ])
      expect(ids).toContain(id);
    expect(ids.filter((id) => id.startsWith('plot-series-'))).toHaveLength(analysis.timeSeries.length);
    for (const plot of plots) {
      expect(plot.series.length, plot.id).toBeGreaterThan(0);
      for (const s of plot.series) {
        expect(s.values).toHaveLength(plot.xs.length);
        expect(
          s.values.some((v) => v !== null && Number.isFinite(v)),
          `${plot.id} / ${s.name}`,
        ).toBe(true);
      }
      expect(html).toContain(`id="${plot.id}"`);
    }
  });

  it('shades each board’s schedule: a band per period and a washout band after each switch', () => {
    const series = island(html).filter((p) => p.id.startsWith('plot-series-'));
    for (const plot of series) {
      const bands = plot.bands ?? [];
      expect(bands.filter((b) => b.label === 'washout')).toHaveLength(analysis.experiment.periods);
      expect(bands.filter((b) => b.label.startsWith('period: '))).toHaveLength(analysis.experiment.periods);
      // Washout points are their own (grey) series, never counted with an arm.
      const washout = plot.series.find((s) => s.name.startsWith('washout'));
      expect(washout?.values.filter((v) => v !== null).length).toBeGreaterThan(0);
    }
  });

  it('puts each arm’s interval and the contrast in tables, and labels estimates and intervals', () => {
    expect(html).toContain('0.058 – 0.072');
    expect(html).toContain('−0.0052 – −0.0039'.replaceAll('−', '-'));
    expect(html).toContain('paired board-level bootstrap, 2000 resamples, seed 42');
    expect(html).toMatch(/Carbon per inference[^<]*<span class="estimate">estimate<\/span>/);
    expect(html).toContain('95 % board-level bootstrap interval');
    expect(html).toContain('(the spread, not a confidence interval)');
  });

  it('escapes text from the analysis, in tables and in the data island', () => {
    const hostile = fixtureAnalysis();
    hostile.conclusion = '<img src=x onerror=alert(1)> & more';
    const device = 'pi</script><script>alert(1)</script>';
    const first = hostile.perBoardDifferences[0];
    if (first !== undefined) first.device = device;
    const page = renderReport(hostile);
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; more');
    expect(page).not.toContain('</script><script>alert(1)');
    expect(island(page).find((p) => p.id === 'plot-differences')?.xNames).toContain(device);
  });

  it('leaves out the accuracy plot without ground truth, and says so', () => {
    const blind = fixtureAnalysis();
    for (const arm of blind.arms) arm.accuracy = null;
    for (const p of blind.perBoardPeriod) p.accuracy = null;
    const page = renderReport(blind);
    expect(island(page).map((p) => p.id)).not.toContain('plot-accuracy');
    expect(page).toContain('No ground truth was sent for this experiment');
  });

  it("shows an offload arm's measured offload values beside its carbon, with their provenance", () => {
    const plain = renderReport(fixtureAnalysis());
    expect(plain).not.toContain('class="measured-offload"');
    const offload = fixtureAnalysis();
    const arm = offload.arms[1];
    if (arm === undefined) throw new Error('fixture has two arms');
    arm.provenance = "life-cycle engine (offload), with the arm's MEASURED offload values";
    arm.measuredOffload = {
      records: 120,
      answered: 118,
      deviceEnergyJ: 0.0043,
      deviceEnergyProvenance: 'measured',
      sensors: ['ina219'],
      roundTripMs: 25.2,
      socketBytesSent: 3391,
      socketBytesReceived: 598,
      serverEnergyJ: 0.00196,
      serverEnergyProvenance: 'estimated',
      servers: ['dc-fra-1'],
      serverRegions: ['DE'],
      serverPueClasses: ['hyperscale'],
      accuracy: 0.75,
      labelled: 40,
    };
    const page = renderReport(offload);
    const section = page.slice(page.indexOf('class="measured-offload"'));
    expect(section).toContain('118 / 120');
    expect(section).toContain('0.0043 (measured, ina219)');
    expect(section).toContain('3,391 / 598');
    // An estimated server energy is labelled an estimate, never "measured".
    expect(section).toMatch(/0\.00196 \(<span class="estimate"[^>]*>estimate<\/span>: estimated\)/);
    expect(section).toContain('dc-fra-1 (DE, hyperscale)');
    expect(section).toContain('75.0 % (40)');
    expect(page).toContain('with the arm&#39;s MEASURED offload values');
  });
});
