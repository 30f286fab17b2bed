// Headless Chromium for the page tests (playwright-core driving the Debian chromium): a browser per
// test file, pages that record console errors and every request that tried to leave the machine,
// and a look at each drawn plot: how many values each series has and whether its colour is on the canvas.

import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

// What the functions run inside the page use of the DOM (the project compiles without the DOM
// library; these declarations are local to this module).
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageCanvas | null;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
/** The page's document, inside page.evaluate only. */
declare const document: {
  getElementById(id: string): PageElement | null;
  documentElement: { scrollWidth: number; clientWidth: number };
};

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** console.error messages and uncaught exceptions. */
  errors: string[];
  /** Requests to anything but the allowed origins (a self-contained page makes none). */
  outside: string[];
}

/**
 * A page in a fresh context; `allowed` origins (e.g. the collector under test) pass, file:// passes,
 * every other request is aborted and recorded.
 */
export async function watchedPage(
  browser: Browser,
  options: { viewport: { width: number; height: number }; javaScript?: boolean; allowed?: string[] },
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: options.viewport,
    javaScriptEnabled: options.javaScript ?? true,
  });
  // Functions passed to page.evaluate keep tsx's (esbuild's keepNames) __name(...) wrappers when a
  // script runs under `node --import tsx` (bench/docs-screenshots.ts); give the page a no-op one.
  await context.addInitScript('globalThis.__name = globalThis.__name || ((fn) => fn);');
  const page = await context.newPage();
  const errors: string[] = [];
  const outside: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || (options.allowed ?? []).some((origin) => url.startsWith(origin))) {
      await route.continue();
    } else {
      outside.push(url);
      await route.abort();
    }
  });
  return { page, context, errors, outside };
}

export interface DrawnPlot {
  id: string;
  /** Finite values per series, as the plotting script counted them (null: the plot was not drawn). */
  seriesPoints: number[] | null;
  /** Per series: whether pixels of the series' colour are on the plot's canvas. */
  colourOnCanvas: boolean[];
  canvasWidth: number;
}

/** Every plot the page's JSON island specifies, as drawn. */
export async function drawnPlots(page: Page): Promise<DrawnPlot[]> {
  return page.evaluate(() => {
    const island = document.getElementById('edgewatt-plots');
    const specs = JSON.parse(island?.textContent ?? '[]') as {
      id: string;
      series: { color: string }[];
    }[];
    const rgb = (hex: string) => {
      const n = Number.parseInt(hex.slice(1), 16);
      return [(n >> 16) & 255, (n >> 8) & 255, n & 255] as const;
    };
    return specs.map((spec) => {
      const element = document.getElementById(spec.id);
      const canvas = element?.querySelector('canvas') ?? null;
      const attribute = element?.getAttribute('data-series-points') ?? null;
      let colourOnCanvas = spec.series.map(() => false);
      if (canvas !== null) {
        const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
        if (pixels !== undefined) {
          colourOnCanvas = spec.series.map((series) => {
            const [r, g, b] = rgb(series.color);
            let matching = 0;
            for (let i = 0; i < pixels.length; i += 4) {
              if (
                pixels[i + 3] === 255 &&
                Math.abs((pixels[i] ?? 0) - r) < 8 &&
                Math.abs((pixels[i + 1] ?? 0) - g) < 8 &&
                Math.abs((pixels[i + 2] ?? 0) - b) < 8
              )
                matching++;
            }
            return matching >= 4;
          });
        }
      }
      return {
        id: spec.id,
        seriesPoints: attribute === null ? null : (JSON.parse(attribute) as number[]),
        colourOnCanvas,
        canvasWidth: canvas?.width ?? 0,
      };
    });
  });
}
