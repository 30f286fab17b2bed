// The server's energy from x86 RAPL package counters (powercap energy_uj, zones found by
// common/rapl.ts as the agent finds them): each batch's window is the counter difference, unwrapped
// per zone. Idle power is measured, not assumed: over a calibration at start and then over every
// gap between batches long enough to read (≥ 100 ms), smoothed. RAPL covers the CPU package(s) —
// cores and uncore, not DRAM, disks, fans or the power supply — and every process on them.

import { setTimeout as sleep } from 'node:timers/promises';
import { findRaplZones, packageZones, RAPL_GAIN_ERROR, type RaplZone } from '../../common/rapl.js';
import { SysfsAttribute } from '../../common/sysfs.js';
import type { ComputeMarks, EnergyMeter, MarkSource, OpenWindow, WindowEnergy } from './meter.js';

/** Shortest gap between batches that updates the idle power, ns. */
const IDLE_GAP_MIN_NS = 100_000_000n;
/** Weight of a new idle reading in the smoothed idle power. */
const IDLE_SMOOTHING = 0.2;
/** RAPL's energy unit on Intel is 1/2^14 J; a window's two readings each carry up to one step. */
const RAPL_QUANTUM_J = 2 ** -14;

/** Reads the zones' raw counters (µJ) and unwraps them into one growing total, J. */
export class RaplCounter {
  private readonly last: number[];
  private readonly offsetUj: number[];

  constructor(
    private readonly readUj: () => readonly number[],
    private readonly rangesUj: readonly number[],
  ) {
    this.last = rangesUj.map(() => Number.NaN);
    this.offsetUj = rangesUj.map(() => 0);
  }

  /** Total energy since an arbitrary origin, J (call at least once per wrap period, ~minutes). */
  readJ(): number {
    return this.unwrapJ(this.readUj());
  }

  /** The same for raw counters read elsewhere (the model's thread); call in the order they were read. */
  unwrapJ(raw: readonly number[]): number {
    let totalUj = 0;
    raw.forEach((value, i) => {
      if (value < (this.last[i] ?? Number.NaN))
        this.offsetUj[i] = (this.offsetUj[i] ?? 0) + (this.rangesUj[i] ?? 0);
      this.last[i] = value;
      totalUj += value + (this.offsetUj[i] ?? 0);
    });
    return totalUj / 1e6;
  }
}

export class RaplMeter implements EnergyMeter {
  readonly provenance = 'rapl' as const;
  readonly method: string;
  private idle = Number.NaN;
  private lastEnd: { ns: bigint; j: number } | null = null;

  constructor(
    private readonly counter: RaplCounter,
    zoneNames: readonly string[],
    private readonly clockNs: () => bigint = () => process.hrtime.bigint(),
    private readonly release: () => void = () => undefined,
    /** The counters' files, which the model's thread reads around each call. */
    readonly markSource: MarkSource = { kind: 'clock' },
  ) {
    this.method = `RAPL ${zoneNames.join(' + ')} energy counters over each batch's model call (the CPU package: not DRAM, disks or the power supply; every process on the package is in it)`;
  }

  /** Measures idle power over `ms` before the first batch. */
  async calibrate(ms = 300): Promise<void> {
    const start = { ns: this.clockNs(), j: this.counter.readJ() };
    await sleep(ms);
    this.lastEnd = start;
    this.noteIdle(this.clockNs(), this.counter.readJ());
  }

  begin(): OpenWindow {
    const startNs = this.clockNs();
    const mark = this.counter.readJ();
    this.noteIdle(startNs, mark);
    return { startNs, mark };
  }

  end(window: OpenWindow, marks?: ComputeMarks): WindowEnergy {
    const counted = marks !== undefined && marks.start.values.length > 0;
    const startNs = counted ? marks.start.ns : window.startNs;
    const startJ = counted ? this.counter.unwrapJ(marks.start.values) : window.mark;
    const endNs = counted ? marks.end.ns : this.clockNs();
    const endJ = counted ? this.counter.unwrapJ(marks.end.values) : this.counter.readJ();
    this.lastEnd = { ns: endNs, j: endJ };
    const grossJ = Math.max(0, endJ - startJ);
    return {
      grossJ,
      uncertaintyJ: Math.hypot(grossJ * RAPL_GAIN_ERROR, RAPL_QUANTUM_J * Math.SQRT2),
      idleW: this.idleW(),
      durationS: Number(endNs - startNs) / 1e9,
    };
  }

  idleW(): number {
    return Number.isFinite(this.idle) ? this.idle : 0;
  }

  private noteIdle(ns: bigint, j: number): void {
    const last = this.lastEnd;
    if (last === null || ns - last.ns < IDLE_GAP_MIN_NS) return;
    const powerW = (j - last.j) / (Number(ns - last.ns) / 1e9);
    if (!(powerW >= 0)) return;
    this.idle = Number.isFinite(this.idle)
      ? (1 - IDLE_SMOOTHING) * this.idle + IDLE_SMOOTHING * powerW
      : powerW;
  }

  async close(): Promise<void> {
    this.release();
  }
}

/** The package zones of this host when every one is readable, else why not (null: none). */
export function readableRaplZones(root = '/'): { zones: RaplZone[] } | { problem: string } | null {
  const zones = packageZones(findRaplZones(root));
  if (zones.length === 0) return null;
  const blocked = zones.filter((zone) => !zone.readable);
  if (blocked.length > 0)
    return { problem: `permission denied reading ${blocked.map((zone) => zone.energyPath).join(', ')}` };
  return { zones };
}

export async function openRaplMeter(zones: readonly RaplZone[]): Promise<RaplMeter> {
  const attributes = zones.map((zone) => new SysfsAttribute(zone.energyPath));
  const meter = new RaplMeter(
    new RaplCounter(
      () => attributes.map((attribute) => attribute.readNumber()),
      zones.map((zone) => zone.rangeUj),
    ),
    zones.map((zone) => zone.name),
    undefined,
    () => {
      for (const attribute of attributes) attribute.close();
    },
    { kind: 'counters', paths: zones.map((zone) => zone.energyPath) },
  );
  await meter.calibrate();
  return meter;
}
