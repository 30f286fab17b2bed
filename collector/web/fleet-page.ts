// The collector's front page (`/` with --http): the fleet at a glance for users without Grafana —
// devices and their state and model, energy per inference per device and model with an interval,
// and the health of delivery (what arrived, what was refused, missing sequence numbers, the store's
// buffer). Rendered on the server; the one plot is drawn by the shared plotting script.

import { REJECT_REASONS } from '../api/metrics.js';
import type { DeviceSummary } from '../store/index.js';
import { energyInterval, type FleetView } from './fleet-view.js';
import { esc, num, page, table } from './html.js';
import { nav } from './nav.js';
import { armColor, type PlotSpec } from './plot-spec.js';

const ago = (atMs: number, thenMs: number) => {
  const s = Math.max(0, Math.round((atMs - thenMs) / 1000));
  return s < 120
    ? `${s} s ago`
    : s < 7200
      ? `${Math.round(s / 60)} min ago`
      : `${Math.round(s / 3600)} h ago`;
};

const ESTIMATE = '<span class="estimate" title="from a model of the board, not a sensor">estimate</span>';

function energyPlot(summaries: DeviceSummary[]): PlotSpec | null {
  const rows = summaries.filter((s) => energyInterval(s) !== null);
  if (rows.length === 0) return null;
  const providers = [...new Set(rows.map((s) => s.provenance))];
  return {
    id: 'plot-fleet-energy',
    title: 'Energy per inference by device and model',
    caption:
      'Mean gross energy per inference over the window; whiskers: mean ± 1.96 standard errors, with measured windows as the independent measurements (sensor calibration uncertainty not included). Estimated figures come from a model of the board.',
    yLabel: 'energy per inference (J)',
    xLabel: 'device / model variant',
    x: 'category',
    xs: rows.map((_, i) => i),
    xNames: rows.map((s) => `${s.device} ${s.variant}`),
    series: providers.map((provenance, p) => ({
      name: provenance,
      values: rows.map((s) => (s.provenance === provenance ? s.meanEnergyJ : null)),
      lo: rows.map((s) => (s.provenance === provenance ? (energyInterval(s)?.lo ?? null) : null)),
      hi: rows.map((s) => (s.provenance === provenance ? (energyInterval(s)?.hi ?? null) : null)),
      style: 'points' as const,
      color: armColor(p),
    })),
  };
}

function devicesTable(view: FleetView): string {
  const key = (fleet: string, device: string) => `${fleet}/${device}`;
  const lastSeen = view.metrics?.lastSeenUs;
  const span = view.metrics?.seqSpan;
  return table(
    'Devices: their last status message, and what this collector received from them.',
    [
      'fleet',
      'device',
      'state',
      'board',
      'model',
      'sensor',
      'agent',
      'status',
      'last record',
      'missing seqs',
    ],
    view.devices.map((d) => {
      const seen = lastSeen?.get(key(d.fleet, d.device));
      const s = span?.get(key(d.fleet, d.device));
      const missing = s === undefined ? null : s.highSeq - s.lowSeq + 1 - s.stored;
      return [
        esc(d.fleet),
        esc(d.device),
        d.state === 'online' ? '<span class="ok">online</span>' : `<span class="bad">${esc(d.state)}</span>`,
        esc(d.board ?? '–'),
        esc(d.variant ?? d.modelId?.slice(0, 12) ?? '–'),
        esc(d.sensor ?? '–'),
        esc(d.agentVersion ?? '–'),
        ago(view.atMs, d.statusAtUs / 1000),
        seen === undefined ? '–' : ago(view.atMs, seen / 1000),
        missing === null ? '–' : missing === 0 ? '0' : `<span class="bad">${missing}</span>`,
      ];
    }),
    'devices',
  );
}

function energyTable(view: FleetView): string {
  return table(
    `Energy per inference, last ${num(view.windowS / 3600, 3)} h, per device and model.`,
    [
      'device',
      'model',
      'backend',
      'inferences',
      'energy (J)',
      '95 % interval (J)',
      'above idle (J)',
      'mean duration (ms)',
      'provenance',
    ],
    view.summaries.map((s) => {
      const interval = energyInterval(s);
      return [
        esc(`${s.fleet}/${s.device}`),
        esc(s.variant),
        esc(s.backend),
        num(s.inferences, 6),
        num(s.meanEnergyJ, 4),
        interval === null ? '– (one window)' : `${num(interval.lo, 4)} – ${num(interval.hi, 4)}`,
        num(s.meanMarginalEnergyJ, 4),
        num(s.meanDurationUs / 1000, 3),
        s.provenance === 'estimated' ? `${esc(s.sensor)} ${ESTIMATE}` : esc(`${s.sensor} (measured)`),
      ];
    }),
    'energy',
  );
}

function healthTable(view: FleetView): string {
  const m = view.metrics;
  if (m === undefined) return '<p class="meta">Delivery counters are not available on this server.</p>';
  const refused = REJECT_REASONS.filter((r) => (m.ingest.rejected[r] ?? 0) > 0)
    .map((r) => `${r} ${m.ingest.rejected[r]}`)
    .join(', ');
  const rows: string[][] = [
    ['messages received', num(m.ingest.received, 9)],
    ['records stored', num(m.ingest.records, 9)],
    ['duplicates ignored (redelivery)', num(m.ingest.duplicates, 9)],
    ['messages refused', refused === '' ? '0' : `<span class="bad">${esc(refused)}</span>`],
    ['dead-letter entries', num(m.deadLetterEntries ?? null, 9)],
    [
      'store write errors',
      m.ingest.storeErrors === 0 ? '0' : `<span class="bad">${m.ingest.storeErrors}</span>`,
    ],
  ];
  if (m.store !== undefined) {
    rows.push(
      ['store buffer (spool), entries', num(m.store.pendingLines, 9)],
      ['store buffer (spool), bytes', num(m.store.pendingBytes, 9)],
      ['written to the store', num(m.store.written, 9)],
      [
        'dropped by the store (bad data)',
        m.store.dropped === 0 ? '0' : `<span class="bad">${m.store.dropped}</span>`,
      ],
      ['store retries', num(m.store.retries, 9)],
    );
  } else rows.push(['store buffer (spool)', 'none: this store writes directly']);
  return table(
    'Delivery and spool health, since this collector started.',
    ['counter', 'value'],
    rows,
    'health',
  );
}

export function renderFleetPage(view: FleetView): string {
  const plot = energyPlot(view.summaries);
  const at = new Date(view.atMs).toISOString().replace(/\.\d+Z$/, 'Z');
  const body = `${nav('fleet')}<main>
<h1>Fleet</h1>
<p class="meta">${view.devices.length} devices · ${view.summaries.length} device/model summaries over the last ${num(view.windowS / 3600, 3)} h · as of ${esc(at)} (reloads every 30 s)</p>
<h2>Devices</h2>
<div class="tablewrap">${devicesTable(view)}</div>
<h2>Energy per inference</h2>
<section class="figure">${
    plot === null
      ? '<p class="meta">No device has two or more measured windows in this window yet.</p>'
      : `<div class="plot"><h3>${esc(plot.title)}</h3><div id="${plot.id}"></div><noscript><span class="nojs">The plot needs JavaScript; the table has its numbers.</span></noscript><p class="caption">${esc(plot.caption)}</p></div>`
  }<div class="tablewrap">${energyTable(view)}</div></section>
<h2>Delivery and spool</h2>
<div class="tablewrap">${healthTable(view)}</div>
</main>`;
  return page({ title: 'edgewatt — fleet', body, plots: plot === null ? [] : [plot], refreshS: 30 });
}
