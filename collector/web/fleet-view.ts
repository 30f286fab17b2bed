// What the collector's front page shows of the fleet, gathered from what the collector already has:
// its store (each device's last status, energy per inference per device and model over a recent
// window) and its running counters (/metrics: delivery, refusals, the store's buffer).

import type { MetricsSnapshot } from '../api/metrics.js';
import type { DeviceStatus, DeviceSummary, RecordReader } from '../store/index.js';

export interface FleetView {
  /** When it was gathered, ms since the epoch. */
  atMs: number;
  /** The window of the energy summaries, seconds back from atMs. */
  windowS: number;
  devices: DeviceStatus[];
  summaries: DeviceSummary[];
  /** The collector's counters; absent when the page is served without them. */
  metrics?: MetricsSnapshot;
}

/** Energy summaries cover the last day by default: a front page must not scan a year of records. */
export const DEFAULT_WINDOW_S = 24 * 3600;

export async function gatherFleetView(
  reader: RecordReader | undefined,
  metrics: (() => MetricsSnapshot) | undefined,
  options: { windowS?: number; nowMs?: number } = {},
): Promise<FleetView> {
  const atMs = options.nowMs ?? Date.now();
  const windowS = options.windowS ?? DEFAULT_WINDOW_S;
  const [devices, summaries] =
    reader === undefined
      ? [[], []]
      : await Promise.all([
          reader.readDevices(),
          reader.readSummary({ fromUs: (atMs - windowS * 1000) * 1000 }),
        ]);
  return { atMs, windowS, devices, summaries, ...(metrics === undefined ? {} : { metrics: metrics() }) };
}

/** 95 % interval of a device's mean energy per inference: mean ± 1.96 standard errors over windows. */
export function energyInterval(summary: DeviceSummary): { lo: number; hi: number } | null {
  if (summary.windows < 2 || !Number.isFinite(summary.energyStandardErrorJ)) return null;
  const half = 1.96 * summary.energyStandardErrorJ;
  return { lo: summary.meanEnergyJ - half, hi: summary.meanEnergyJ + half };
}
