// HTML building blocks shared by the experiment report and the collector's own web pages: escaping,
// JSON that is safe inside a <script>, number formatting, and the page shell with uPlot and the
// plotting script inlined, so every page is one self-contained document (no CDN, works offline).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PAGE_CSS } from './page-css.js';
import { PLOT_SCRIPT } from './plot-script.js';

const require = createRequire(import.meta.url);

let uplotAssets: { js: string; css: string } | undefined;

/** uPlot's browser build and style sheet, read once from node_modules/uplot/dist. */
export function uplot(): { js: string; css: string } {
  uplotAssets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplotAssets;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML content and attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** JSON for a <script type="application/json">: `<` escaped so `</script>` in a value cannot end it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A number with `digits` significant digits, without exponent noise for everyday magnitudes. */
export function num(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 8 });
}

/** A share as a percentage with one decimal (0.0712 → "7.1 %"). */
export function pct(share: number | null | undefined, digits = 1): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  return `${(share * 100).toFixed(digits)} %`;
}

/** A table: header cells and rows of already-escaped cells. */
export function table(caption: string, head: string[], rows: string[][], className = ''): string {
  const th = head.map((h) => `<th scope="col">${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${esc(className)}"><caption>${caption}</caption><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export interface PageOptions {
  title: string;
  body: string;
  /** Plot specifications (plot-spec.ts) drawn by the plotting script; none = no script at all. */
  plots?: unknown[];
  /** Seconds after which the browser reloads the page (live pages); none = never. */
  refreshS?: number;
  /** A page's own script, run after the plotting script. */
  extraScript?: string;
}

/** A whole HTML document: styles, body, and when there are plots, uPlot + data + the plotting script. */
export function page(options: PageOptions): string {
  const assets = options.plots === undefined ? null : uplot();
  const refresh =
    options.refreshS === undefined ? '' : `<meta http-equiv="refresh" content="${options.refreshS}">`;
  const scripts =
    assets === null
      ? ''
      : `<script type="application/json" id="edgewatt-plots">${scriptJson(options.plots)}</script>
<script>${assets.js}</script>
<script>${PLOT_SCRIPT}</script>${options.extraScript === undefined ? '' : `\n<script>${options.extraScript}</script>`}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}<title>${esc(options.title)}</title>
<style>${assets === null ? '' : assets.css}
${PAGE_CSS}</style>
</head>
<body>
${options.body}
${scripts}
</body>
</html>
`;
}

/**
 * The Content-Security-Policy of a page made by page(): nothing from elsewhere, and of inline
 * scripts only the ones it contains (by SHA-256), so an injected script would not run.
 */
export function contentSecurityPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (match) =>
      `'sha256-${createHash('sha256')
        .update(match[1] ?? '')
        .digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src ${hashes.length === 0 ? "'none'" : hashes.join(' ')}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}
