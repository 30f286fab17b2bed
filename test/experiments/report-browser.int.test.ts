// The experiment report of a real analysis of a simulated fleet in headless Chromium: opened from a file with every network request
// refused (it must be self-contained), every plot drawn with its data, no console errors,
// screenshots at desktop and phone widths, and the tables there with JavaScript off.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderReport, reportPlots } from '../../collector/experiments/report/render.js';
import { num } from '../../collector/web/html.js';
import { DESKTOP, drawnPlots, launchChromium, PHONE, watchedPage } from '../support/chromium.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { autoArmAnalysis } from './auto-fleet.js';
import { simulatedAnalysis } from './simulated-analysis.js';

/** The page's document and window, inside page.evaluate only (the project compiles without the DOM library). */
declare const document: {
  documentElement: { scrollWidth: number; clientWidth: number };
  getElementById(id: string): { textContent: string | null } | null;
};
declare const window: { devicePixelRatio: number };
/** What the test reads of a drawn uPlot instance. */
interface UPlotLike {
  valToPos(value: number, scale: string, canvasPixels: boolean): number;
  ctx: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}

/** Three arms, so that one whisker sits in the middle (shift 0) of its category. */
const THREE_ARMS = [
  { id: 'dense', energyJ: 0.05 },
  { id: 'pruned', energyJ: 0.0465 },
  { id: 'pruned-more', energyJ: 0.04 },
];

describeWith(['chromium'], 'experiment report in headless Chromium', () => {
  const dir = tempDir('edgewatt-report-');
  // A real analysis (analyse.ts) of a simulated fleet (simulate.ts): the shapes the report meets.
  const { analysis } = simulatedAnalysis();
  const file = join(dir.path, 'report.html');
  let browser: Browser;

  beforeAll(async () => {
    writeFileSync(file, renderReport(analysis));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    dir.remove();
  });

  for (const [name, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`draws every plot with its data at ${name} width, offline, without console errors`, async () => {
      const watched = await watchedPage(browser, { viewport });
      await watched.page.goto(`file://${file}`);
      const plots = await drawnPlots(watched.page);
      const expected = reportPlots(analysis);
      expect(plots.map((p) => p.id)).toEqual(expected.map((p) => p.id));
      expect(plots.length).toBeGreaterThanOrEqual(7 + analysis.timeSeries.length - 1);
      for (const [i, plot] of plots.entries()) {
        const spec = expected[i];
        expect(plot.seriesPoints, plot.id).toEqual(
          spec?.series.map((s) => s.values.filter((v) => v !== null && Number.isFinite(v)).length),
        );
        expect(
          plot.seriesPoints?.every((n) => n > 0),
          plot.id,
        ).toBe(true);
        // Points sit apart (by arm or by time); lines of similar arms may lie on top of each other.
        if (spec?.x === 'category' || spec?.x === 'time')
          expect(plot.colourOnCanvas.every(Boolean), `${plot.id}: every series' colour is drawn`).toBe(true);
        else expect(plot.colourOnCanvas.some(Boolean), `${plot.id}: a series' colour is drawn`).toBe(true);
        expect(plot.canvasWidth).toBeGreaterThan(200);
      }
      // Wide tables scroll inside their own box; the page itself does not scroll sideways.
      const overflow = await watched.page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, 'page wider than the viewport').toBeLessThanOrEqual(0);
      const shot = join(dir.path, `report-${name}.png`);
      await watched.page.screenshot({ path: shot, fullPage: true });
      const png = PNG.sync.read(readFileSync(shot));
      expect(png.width).toBe(viewport.width);
      expect(png.height).toBeGreaterThan(viewport.height);
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      expect(watched.errors).toEqual([]);
      expect(watched.outside).toEqual([]);
      await watched.context.close();
    });
  }

  it('shows every number in tables with JavaScript off', async () => {
    const watched = await watchedPage(browser, { viewport: DESKTOP, javaScript: false });
    await watched.page.goto(`file://${file}`);
    expect(await watched.page.locator('canvas').count()).toBe(0);
    const text = (await watched.page.locator('main').innerText()).replace(/\s+/g, ' ');
    expect(text).toContain(analysis.conclusion);
    for (const table of [
      'arms',
      'contrasts',
      'differences',
      'latency',
      'accuracy',
      'carbon',
      'breakeven',
      'checks',
    ]) {
      expect(await watched.page.locator(`table.${table} tbody tr`).count(), table).toBeGreaterThan(0);
    }
    expect(await watched.page.locator('table.schedule').count()).toBe(analysis.timeSeries.length);
    expect(await watched.page.locator('table.board-periods tbody tr').count()).toBe(
      analysis.perBoardPeriod.length,
    );
    // The interval of each arm, as printed in the arms table.
    const arms = await watched.page.locator('table.arms tbody tr').allInnerTexts();
    for (const [i, arm] of analysis.arms.entries())
      expect(arms[i]).toContain(`${num(arm.energyJ.lo, 4)} – ${num(arm.energyJ.hi, 4)}`);
    const visible = await watched.page.locator('noscript .nojs, .nojs').first().isVisible();
    expect(visible, 'the page says plots need JavaScript').toBe(true);
    expect(watched.outside).toEqual([]);
    await watched.context.close();
  });

  it("draws an auto arm's report (a real analysis) with every plot's data, its shares in a table, no console errors", async () => {
    const auto = autoArmAnalysis();
    const autoFile = join(dir.path, 'auto-report.html');
    writeFileSync(autoFile, renderReport(auto));
    const watched = await watchedPage(browser, { viewport: DESKTOP });
    await watched.page.goto(`file://${autoFile}`);
    const plots = await drawnPlots(watched.page);
    const expected = reportPlots(auto);
    expect(plots.map((p) => p.id)).toEqual(expected.map((p) => p.id));
    expect(plots.map((p) => p.id)).toContain('plot-carbon');
    for (const plot of plots)
      expect(
        plot.seriesPoints?.every((n) => n > 0),
        plot.id,
      ).toBe(true);
    // Two shares and the mixture.
    expect(await watched.page.locator('table.auto-shares tbody tr').count()).toBe(3);
    expect(await watched.page.locator('table.carbon').innerText()).toContain('x (mixture)');
    expect(watched.errors).toEqual([]);
    expect(watched.outside).toEqual([]);
    await watched.context.close();
  });

  it('draws the dot of every arm of a three-arm report, the middle one too, beside its whisker', async () => {
    const three = simulatedAnalysis({ arms: THREE_ARMS, periods: 3 }).analysis;
    const threeFile = join(dir.path, 'three-arms.html');
    writeFileSync(threeFile, renderReport(three));
    const watched = await watchedPage(browser, { viewport: DESKTOP });
    await watched.page.goto(`file://${threeFile}`);
    const spec = reportPlots(three).find((p) => p.id === 'plot-energy');
    expect(spec?.series.length).toBe(3);
    // Per arm: is the pixel 3 px right of its mean (inside the 4.5 px dot, outside the 2 px
    // whisker) in the arm's colour? The whiskers are offset by 14 px from the middle one.
    const dots = await watched.page.evaluate(
      (series) => {
        const plots = (window as unknown as { edgewattPlots: (UPlotLike | null)[] }).edgewattPlots;
        const island = JSON.parse(document.getElementById('edgewatt-plots')?.textContent ?? '[]') as {
          id: string;
        }[];
        const u = plots[island.findIndex((p) => p.id === 'plot-energy')];
        if (u === null || u === undefined) return null;
        const r = window.devicePixelRatio || 1;
        return series.map((s, k) => {
          const x = u.valToPos(k, 'x', true) + (k - 1) * 14 * r + 3 * r;
          const y = u.valToPos(s.value, 'y', true);
          const [red = 0, green = 0, blue = 0] = u.ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data;
          const n = Number.parseInt(s.color.slice(1), 16);
          return (
            Math.abs(red - ((n >> 16) & 255)) +
              Math.abs(green - ((n >> 8) & 255)) +
              Math.abs(blue - (n & 255)) <
            40
          );
        });
      },
      spec?.series.map((s, k) => ({ color: s.color, value: s.values[k] as number })) ?? [],
    );
    expect(dots).toEqual([true, true, true]);
    expect(watched.errors).toEqual([]);
    await watched.context.close();
  });
});
