// The collector's own web page as a real process (`edgewatt collector --http` on a free 127.0.0.1
// port, an embedded broker started by the test): a simulated fleet's records and statuses are
// published over MQTT, then `/`, `/experiments/<id>` and `/compare` are opened in headless Chromium
// — plots drawn with data, no console errors (which includes any script the Content-Security-Policy
// would block), no request leaving the collector, screenshots at desktop and phone widths, tables
// with JavaScript off — and `edgewatt experiment report` writes the same analysis as a file.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { ExperimentDb, experimentsDbPath } from '../../collector/experiments/index.js';
import { defaultFleetSpec, experimentOf, simulateFleet } from '../../collector/experiments/simulate.js';
import { buildTopic, encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { DESKTOP, drawnPlots, launchChromium, PHONE, watchedPage } from '../support/chromium.js';
import { freePort, waitForPort } from '../support/ports.js';
import { type Running, runCli } from '../support/process.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

/** The page's document, inside page.evaluate only (the project compiles without the DOM library). */
declare const document: { getElementById(id: string): { getAttribute(name: string): string | null } | null };

const EXAMPLES = new URL('../../examples/scenarios/', import.meta.url).pathname;

describeWith(['chromium'], 'the collector’s web page (real collector process, headless Chromium)', () => {
  const dir = tempDir('edgewatt-web-');
  const fleet = simulateFleet(
    defaultFleetSpec({
      boards: 3,
      periods: 2,
      periodS: 120,
      washoutS: 20,
      warmupS: 10,
      preS: 0,
      ratePerS: 1,
      startMs: Date.now() - 3600_000,
    }),
  );
  let broker: EmbeddedBroker;
  let collector: Running;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    broker = await startEmbeddedBroker(0);
    // The experiment as `edgewatt experiment start` records it for the collector it drives.
    const db = new ExperimentDb(experimentsDbPath(join(dir.path, 'data')));
    db.create(experimentOf(fleet.spec, fleet.devices), fleet.devices, Date.now(), fleet.startMs);
    db.close();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    collector = runCli([
      'collector',
      '--broker',
      broker.url,
      '--store',
      `sqlite:${join(dir.path, 'c.sqlite')}`,
      '--http',
      `127.0.0.1:${port}`,
      '--scenarios',
      EXAMPLES,
      '--data-dir',
      join(dir.path, 'data'),
    ]);
    await waitForPort(port, 'collector HTTP API');
    const client = await mqtt.connectAsync(broker.url, { clientId: 'sim-fleet' });
    for (const device of fleet.devices) {
      const records = fleet.records.filter((r) => r.device === device);
      const status = {
        v: 1,
        type: 'status',
        device,
        state: 'online',
        seq: 0,
        atUs: Date.now() * 1000,
        board: 'rpi4',
        sensor: 'simulated:rpi4',
        backend: 'cpu',
        variant: 'dense',
        agentVersion: 'test',
      } as const;
      await client.publishAsync(
        buildTopic({ fleet: 'lab', device, kind: 'status' }),
        Buffer.from(encodeMessage(status)),
        { qos: 1, retain: true },
      );
      for (let i = 0; i < records.length; i += 200) {
        const batch = records
          .slice(i, i + 200)
          .map(({ fleet: _f, device: _d, ...record }) => record as InferenceRecord);
        await client.publishAsync(
          buildTopic({ fleet: 'lab', device, kind: 'inference' }),
          Buffer.from(encodeMessage({ v: 1, type: 'inference', device, records: batch })),
          { qos: 1 },
        );
      }
    }
    await client.endAsync();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const metrics = await (await fetch(`${origin}/metrics`)).text();
      const stored = Number(/^edgewatt_records_stored_total (\d+)/m.exec(metrics)?.[1] ?? 0);
      if (stored >= fleet.records.length) break;
      if (Date.now() > deadline)
        throw new Error(`stored ${stored} of ${fleet.records.length}\n${collector.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    collector?.child.kill('SIGINT');
    await collector?.exited;
    await broker?.close();
    dir.remove();
  });

  for (const [name, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`/ shows the fleet with its energy plot drawn at ${name} width`, async () => {
      const watched = await watchedPage(browser, { viewport, allowed: [origin] });
      const response = await watched.page.goto(`${origin}/`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
      const plots = await drawnPlots(watched.page);
      expect(plots.map((p) => p.id)).toEqual(['plot-fleet-energy']);
      // One point per device (one model each in this window): the simulated records are 'estimated'.
      expect(plots[0]?.seriesPoints).toEqual([fleet.devices.length * 2]);
      expect(plots[0]?.colourOnCanvas).toEqual([true]);
      await watched.page.screenshot({ path: join(dir.path, `fleet-${name}.png`), fullPage: true });
      expect(watched.errors).toEqual([]);
      expect(watched.outside).toEqual([]);
      await watched.context.close();
    });
  }

  it('/ reads with JavaScript off: devices, energy with intervals, delivery health', async () => {
    const watched = await watchedPage(browser, { viewport: DESKTOP, javaScript: false, allowed: [origin] });
    await watched.page.goto(`${origin}/`);
    const devices = await watched.page.locator('table.devices tbody tr').allInnerTexts();
    expect(devices).toHaveLength(fleet.devices.length);
    for (const [i, device] of fleet.devices.entries()) {
      expect(devices[i]).toContain(device);
      expect(devices[i]).toContain('online');
    }
    const energy = await watched.page.locator('table.energy tbody tr').allInnerTexts();
    expect(energy).toHaveLength(fleet.devices.length * 2); // each board ran both arms (models)
    for (const row of energy) {
      expect(row).toMatch(/\d – \d/); // an interval
      expect(row).toContain('estimate');
    }
    const health = await watched.page.locator('table.health').innerText();
    expect(health).toContain(`records stored\t${fleet.records.length.toLocaleString('en-US')}`);
    expect(health).toMatch(/messages refused\t0/);
    expect(await watched.page.locator('canvas').count()).toBe(0);
    await watched.context.close();
  });

  for (const [name, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`/experiments/<id> shows the live report, every plot drawn, at ${name} width`, async () => {
      const watched = await watchedPage(browser, { viewport, allowed: [origin] });
      const response = await watched.page.goto(`${origin}/experiments/${fleet.spec.experimentId}`);
      expect(response?.status()).toBe(200);
      const plots = await drawnPlots(watched.page);
      expect(plots.length).toBeGreaterThanOrEqual(6 + fleet.devices.length);
      for (const plot of plots) {
        expect(
          plot.seriesPoints?.every((n) => n > 0),
          plot.id,
        ).toBe(true);
        expect(plot.colourOnCanvas.some(Boolean), plot.id).toBe(true);
      }
      await watched.page.screenshot({ path: join(dir.path, `experiment-${name}.png`), fullPage: true });
      expect(watched.errors).toEqual([]);
      expect(watched.outside).toEqual([]);
      await watched.context.close();
    });
  }

  it('`edgewatt experiment report` writes the same analysis as one file; unknown experiments are 404', async () => {
    const out = join(dir.path, 'report.html');
    const run = runCli([
      'experiment',
      'report',
      fleet.spec.experimentId,
      '--data-dir',
      join(dir.path, 'data'),
      '--store',
      `sqlite:${join(dir.path, 'c.sqlite')}`,
      '--replicates',
      '1999',
      '--out',
      out,
    ]);
    const exited = await run.exited;
    expect(exited.code, run.stderr()).toBe(0);
    expect(run.stdout().trim()).toBe(out);
    const file = readFileSync(out, 'utf8');
    const live = await (await fetch(`${origin}/experiments/${fleet.spec.experimentId}`)).text();
    const conclusion = (html: string) => /<p class="lead" id="conclusion">([^<]*)<\/p>/.exec(html)?.[1];
    expect(conclusion(file)).toBeDefined();
    expect(conclusion(file)).toBe(conclusion(live));
    expect(file).not.toMatch(/<script[^>]+src=/);
    expect((await fetch(`${origin}/experiments/no-such-run`)).status).toBe(404);
  });

  it('/compare posts the form to the compare API and draws the answer', async () => {
    const watched = await watchedPage(browser, { viewport: DESKTOP, allowed: [origin] });
    await watched.page.goto(`${origin}/compare`);
    expect(await watched.page.locator('select[name=scenario] option').allInnerTexts()).toContain(
      'pi4-wifi-gpu',
    );
    await watched.page.click('#compare-form button[type=submit]');
    await watched.page.waitForSelector('table.compare-answer');
    const answer = await watched.page.locator('table.compare-answer').innerText();
    expect(answer).toMatch(/edge\t[\d.e-]+\t/);
    const plots = await drawnPlots(watched.page);
    expect(plots).toEqual([]); // the answer's plot is drawn later, outside the page's island
    expect(
      await watched.page.evaluate(() =>
        document.getElementById('plot-compare')?.getAttribute('data-series-points'),
      ),
    ).toBe('[1,1]');
    await watched.page.screenshot({ path: join(dir.path, 'compare.png'), fullPage: true });
    expect(watched.errors).toEqual([]);
    // The skip-first field reaches the API (compare --skip-first): a bad value is its 400, shown.
    await watched.page.fill('#compare-form input[name=skipFirst]', '99999999999');
    await watched.page.click('#compare-form button[type=submit]');
    await watched.page.waitForSelector('#compare-result p.warn');
    expect(await watched.page.locator('#compare-result p.warn').innerText()).toContain(
      'HTTP 400: skipFirst: expected a whole number',
    );
    await watched.page.fill('#compare-form input[name=skipFirst]', '0');
    // The browser logs the refused request itself; nothing else went wrong.
    expect(watched.errors.splice(0)).toEqual([expect.stringContaining('status of 400')]);
    // Recording needs the token: refused (403, this collector has none) and said so on the page.
    await watched.page.check('input[name=record]');
    await watched.page.click('#compare-form button[type=submit]');
    await watched.page.waitForSelector('#compare-result p.warn');
    expect(await watched.page.locator('#compare-result p.warn').innerText()).toContain('HTTP 403');
    // The browser logs the refused request itself; nothing else went wrong.
    expect(watched.errors).toEqual([expect.stringContaining('status of 403')]);
    expect(watched.outside).toEqual([]);
    await watched.context.close();
  });
});
