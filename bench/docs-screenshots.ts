// `npm run docs:screenshots`: remakes docs/img/experiment-report.png, the README's picture of a real
// report. A simulated fleet (collector/experiments/simulate.ts, the lab default: 10 boards, arm
// `pruned` truly 7 % cheaper than `dense`) goes through the real analysis (analyse.ts, 9,999
// resamples) and the report renderer; headless Chromium draws it and the top of the page is saved.
// Prints the figures the README's reading of the picture quotes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReport } from '../collector/experiments/report/render.js';
import { simulatedAnalysis } from '../test/experiments/simulated-analysis.js';
import { DESKTOP, drawnPlots, launchChromium, watchedPage } from '../test/support/chromium.js';

const IMG = fileURLToPath(new URL('../docs/img/', import.meta.url));
/** The part of the page shown: header, conclusion, energy per arm, paired differences, one board. */
const CLIP_HEIGHT_PX = 1750;

const { fleet, analysis } = simulatedAnalysis({ boards: 10 }, { replicates: 9999, carbonSamples: 20_000 });
const html = renderReport(analysis, {
  generatedAt: new Date(analysis.generatedAt),
  notice: `Simulated fleet: ${fleet.devices.length} boards from edgewatt's simulator (collector/experiments/simulate.ts, seed ${fleet.spec.seed}; arm pruned truly ${((fleet.trueRelDiff.pruned ?? 0) * 100).toFixed(1)} % against dense), energy labelled estimated; analysed by the real analysis.`,
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
  const out = join(IMG, 'experiment-report.png');
  await watched.page.screenshot({
    path: out,
    fullPage: true,
    clip: { x: 0, y: 0, width: DESKTOP.width, height: CLIP_HEIGHT_PX },
  });
  process.stdout.write(`${out}\n${file} (the whole report)\n`);
} finally {
  await browser.close();
}

const contrast = analysis.contrasts[0];
const pct = (x: number | undefined) => `${((x ?? Number.NaN) * 100).toFixed(1)} %`;
process.stdout.write(
  `${analysis.conclusion}\n` +
    `contrast ${contrast?.b} − ${contrast?.a}: ${pct(contrast?.relDiff)} [${pct(contrast?.relLo)}, ${pct(contrast?.relHi)}], p = ${contrast?.pValue}\n` +
    `boards lower under pruned: ${analysis.perBoardDifferences.filter((d) => d.diff < 0).length} of ${analysis.perBoardDifferences.length}\n` +
    `arms: ${analysis.arms.map((a) => `${a.arm} ${a.energyJ.mean.toFixed(4)} J [${a.energyJ.lo.toFixed(4)}, ${a.energyJ.hi.toFixed(4)}]`).join('; ')}\n` +
    `checks: sample ratio ${analysis.checks.sampleRatio.ok ? 'ok' : 'FAILED'}, carry-over ${analysis.checks.carryOver.ok ? 'ok' : 'FAILED'} (${analysis.checks.carryOver.estimate}), warm-up excluded ${analysis.checks.warmupExcluded}, washout excluded ${analysis.checks.washoutExcluded}\n`,
);
