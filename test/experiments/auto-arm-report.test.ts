// An auto arm as the report and the terminal show it, from a real analysis: the two shares with
// their fraction and each side's carbon, the arm's figure labelled a mixture, and its break-even
// its edge share against its offloaded share. The JSON carries the same (contract schema).

import { describe, expect, it } from 'vitest';
import { analysisResultSchema } from '../../collector/experiments/analysis-result.js';
import { formatAnalysis } from '../../collector/experiments/format.js';
import { renderReport, reportPlots } from '../../collector/experiments/report/render.js';
import { num, pct } from '../../collector/web/html.js';
import { autoArmAnalysis } from './auto-fleet.js';

describe("an auto arm's shares in the report, the text and the JSON", () => {
  const analysis = autoArmAnalysis();
  const auto = analysis.arms.find((a) => a.arm === 'x');
  const shares = auto?.autoShares;

  it('are in the analysis JSON, valid against the contract schema', () => {
    expect(() => analysisResultSchema.parse(JSON.parse(JSON.stringify(analysis)))).not.toThrow();
    expect(shares?.edge?.n).toBeGreaterThan(0);
    expect(shares?.offload?.n).toBeGreaterThan(0);
    expect(shares?.offloadedFraction).toBeCloseTo(1 / 3, 1);
    expect(shares?.method).toContain('(1 − f) × edge share + f × offloaded share');
    expect(analysis.arms.find((a) => a.arm === 'base')?.autoShares).toBeUndefined();
  });

  it('are a table beside the carbon, with the fraction and each side, and the figure is labelled a mixture', () => {
    const html = renderReport(analysis);
    const section = html.slice(html.indexOf('class="auto-shares"'));
    expect(html).toContain('class="auto-shares"');
    const f = shares?.offloadedFraction as number;
    expect(section).toContain(`<td>edge share (priced as an edge arm)</td><td>${pct(1 - f)}</td>`);
    expect(section).toContain(`<td>offloaded share (priced as an offload arm)</td><td>${pct(f)}</td>`);
    expect(section).toContain(num(shares?.edge?.carbonPerInferenceG.central ?? null, 3));
    expect(section).toContain(num(shares?.offload?.carbonPerInferenceG.central ?? null, 3));
    const carbon = html.slice(html.indexOf('class="carbon"'), html.indexOf('class="auto-shares"'));
    expect(carbon).toContain('x (mixture)');
    expect(carbon).not.toContain('base (mixture)');
    const plot = reportPlots(analysis).find((p) => p.id === 'plot-carbon');
    expect(plot?.xNames).toEqual(['base', 'x (mixture)']);
    // Its break-even compares its own two shares.
    const row = analysis.breakeven?.find((b) => b.arm === 'x');
    expect(row?.note).toContain('its edge share against its offloaded share');
  });

  it('are lines under the arms in the terminal, the figure labelled a mixture', () => {
    const text = formatAnalysis(analysis);
    expect(text).toMatch(/^x .*\(mixture\)$/m);
    expect(text).toContain('x is an auto arm; its carbon: mixture of the arm');
    expect(text).toMatch(/x edge share \(priced as an edge arm\): \d+\.\d % \(\d+ inferences\)/);
    expect(text).toMatch(/x offloaded share \(priced as an offload arm\): \d+\.\d % \(\d+ inferences\)/);
    expect(text).toContain('break-even against offload');
  });
});
