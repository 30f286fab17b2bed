// `npm run docs:screenshots`: remakes docs/img/experiment-report.png, the README's picture of a real
// report (its top, down to the first board's time series), and docs/img/experiment-report-carbon.png
// (its carbon section). A simulated fleet (collector/experiments/simulate.ts: 10 boards, arm `pruned` truly 7 %
// cheaper than `dense`, and `pruned-auto`, the pruned model with about 30 % of its inputs offloaded)
// goes through the real analysis (analyse.ts, 9,999 resamples) and the report renderer; headless
// Chromium draws it and the two parts of the page are saved.
// Prints the figures the README's reading of the picture quotes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReport } from '../collector/experiments/report/render.js';
import type { FleetSpec } from '../collector/experiments/simulate.js';
import { simulatedAnalysis } from '../test/experiments/simulated-analysis.js';
import { DESKTOP, drawnPlots, launchChromium, watchedPage } from '../test/support/chromium.js';

const IMG = fileURLToPath(new URL('../docs/img/', import.meta.url));
/** Space kept around the clipped parts of the page. */
const MARGIN_PX = 16;

/** The page's document and window, inside page.evaluate only (the project compiles without the DOM library). */
declare const document: {
  querySelectorAll(selector: string): Iterable<Element>;
  getElementById(id: string): (Element & { closest(selector: string): Element | null }) | null;
};
declare const window: { scrollY: number };
interface Element {
  textContent: string | null;
  nextElementSibling: Element | null;
  getBoundingClientRect(): { top: number; bottom: number };
}

/**
 * The lab's two variants, and the pruned one as an `auto` arm: the agent offloads about 30 % of its
 * inputs (the board's request window 30 mJ over a 25 ms round trip, the server's 8 mJ, an
 * estimate), so its carbon is the mixture of its two placements. Six periods: each arm twice per board.
 */
const ARMS: FleetSpec['arms'] = [
  { id: 'dense', energyJ: 0.05, latencyMs: 42, accuracy: 0.91 },
  { id: 'pruned', energyJ: 0.0465, latencyMs: 35, accuracy: 0.89 },
  {
    id: 'pruned-auto',
    energyJ: 0.0465,
    latencyMs: 35,
    accuracy: 0.89,
    placement: 'auto',
    offload: { share: 0.3, deviceEnergyJ: 0.03, serverEnergyJ: 0.008, roundTripMs: 25, accuracy: 0.93 },
  },
];

const { fleet, analysis } = simulatedAnalysis(
  { boards: 10, arms: ARMS, periods: 6 },
  { replicates: 9999, carbonSamples: 20_000 },
);
const html = renderReport(analysis, {
  generatedAt: new Date(analysis.generatedAt),
  notice: `Simulated fleet: ${fleet.devices.length} boards from edgewatt's simulator (collector/experiments/simulate.ts, seed ${fleet.spec.seed}; arm pruned truly ${((fleet.trueRelDiff.pruned ?? 0) * 100).toFixed(1)} % and arm pruned-auto (30 % of its inputs offloaded) truly ${((fleet.trueRelDiff['pruned-auto'] ?? 0) * 100).toFixed(1)} % against dense), energy labelled estimated; analysed by the real analysis.`,
});
const file = join(tmpdir(), 'edgewatt-experiment-report.html');
writeFileSync(file, html);

const browser = await launchChromium();
try {
  const watched = await watchedPage(browser, { viewport: DESKTOP });
  await watched.page.goto(`file://${file}`);
  const plots = await drawnPlots(watched.page);
  const empty = plots.filter((p) => p.seriesPoints === null || p.seriesPoints.some((n) => n === 0));
  if (watched.errors.length > 0 || empty.length > 0 || watched.outside.length > 0) {
    throw new Error(
      `report not drawn cleanly: errors ${JSON.stringify(watched.errors)}, empty ${empty.map((p) => p.id)}, outside ${watched.outside}`,
    );
  }
  mkdirSync(IMG, { recursive: true });
  // The top of the page down to the first board's time series; and the carbon section (the auto
  // arm's two shares and their mixture).
  const spans = await watched.page.evaluate(() => {
    const box = (e: Element | null | undefined) => {
      const r = e?.getBoundingClientRect();
      return r === undefined ? null : { top: r.top + window.scrollY, bottom: r.bottom + window.scrollY };
    };
    const carbon = [...document.querySelectorAll('h2')].find((h) =>
      h.textContent?.startsWith('Carbon per inference'),
    );
    return {
      series: box(document.getElementById('plot-series-0')?.closest('section')),
      carbon: box(carbon),
      carbonFigure: box(carbon?.nextElementSibling),
    };
  });
  if (spans.series === null || spans.carbon === null || spans.carbonFigure === null)
    throw new Error(`report sections not found: ${JSON.stringify(spans)}`);
  const out = join(IMG, 'experiment-report.png');
  await watched.page.screenshot({
    path: out,
    fullPage: true,
    clip: { x: 0, y: 0, width: DESKTOP.width, height: Math.ceil(spans.series.bottom + MARGIN_PX) },
  });
  const carbonOut = join(IMG, 'experiment-report-carbon.png');
  const top = Math.floor(spans.carbon.top - MARGIN_PX);
  await watched.page.screenshot({
    path: carbonOut,
    fullPage: true,
    clip: {
      x: 0,
      y: top,
      width: DESKTOP.width,
      height: Math.ceil(spans.carbonFigure.bottom + MARGIN_PX - top),
    },
  });
  process.stdout.write(`${out}\n${carbonOut}\n${file} (the whole report)\n`);
} finally {
  await browser.close();
}

const contrast = analysis.contrasts[0];
const auto = analysis.arms.find((a) => a.autoShares !== undefined);
const firstPair = analysis.perBoardDifferences.filter((d) => d.a === contrast?.a && d.b === contrast?.b);
const pct = (x: number | undefined) => `${((x ?? Number.NaN) * 100).toFixed(1)} %`;
process.stdout.write(
  `${analysis.conclusion}\n` +
    `contrast ${contrast?.b} − ${contrast?.a}: ${pct(contrast?.relDiff)} [${pct(contrast?.relLo)}, ${pct(contrast?.relHi)}], p = ${contrast?.pValue}\n` +
    `boards lower under pruned than dense: ${firstPair.filter((d) => d.diff < 0).length} of ${firstPair.length} (${firstPair.map((d) => pct(d.relDiff)).join(', ')})\n` +
    `arms: ${analysis.arms.map((a) => `${a.arm} ${a.energyJ.mean.toFixed(4)} J [${a.energyJ.lo.toFixed(4)}, ${a.energyJ.hi.toFixed(4)}]`).join('; ')}\n` +
    `contrasts: ${analysis.contrasts.map((c) => `${c.b} − ${c.a} ${pct(c.relDiff)} [${pct(c.relLo)}, ${pct(c.relHi)}]`).join('; ')}\n` +
    `auto arm ${auto?.arm}: offloaded ${pct(auto?.autoShares?.offloadedFraction)}, carbon ${auto?.carbonPerInferenceG.central} g [${auto?.carbonPerInferenceG.lo}, ${auto?.carbonPerInferenceG.hi}]; edge share ${auto?.autoShares?.edge?.carbonPerInferenceG.central} g, offloaded share ${auto?.autoShares?.offload?.carbonPerInferenceG.central} g\n` +
    `true: ${JSON.stringify(fleet.trueRelDiff)}\n` +
    `checks: sample ratio ${analysis.checks.sampleRatio.ok ? 'ok' : 'FAILED'}, carry-over ${analysis.checks.carryOver.ok ? 'ok' : 'FAILED'} (${analysis.checks.carryOver.estimate}), warm-up excluded ${analysis.checks.warmupExcluded}, washout excluded ${analysis.checks.washoutExcluded}\n`,
);
