// The server's energy from NVIDIA GPUs through `nvidia-smi` (NVML): one long-running
// `nvidia-smi --query-gpu=index,power.draw -lms 100` whose lines are power samples, summed over
// the GPUs of each tick and integrated over each batch's window as a step function (a window
// shorter than the sampling period gets the last power × its duration, as Zeus does for short
// windows). Idle power: the smoothed power of ticks while no batch runs. NVML covers the GPU
// boards only: the host's CPU, memory and power supply are not in it.

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { logger } from '../../common/logger.js';
import type { ComputeMarks, EnergyMeter, MarkSource, OpenWindow, WindowEnergy } from './meter.js';

const log = logger('serve.energy');
export const NVML_PERIOD_MS = 100;
/** nvidia-smi's power.draw: ±5 W or so on most boards; taken as 5 % of the reading here. */
const NVML_GAIN_ERROR = 0.05;
const KEEP_SAMPLES = 600;
const IDLE_SMOOTHING = 0.1;

/** One `index, power.draw` line: the GPU index and its power, W; null for anything else. */
export function parseNvmlLine(line: string): { gpu: number; powerW: number } | null {
  const match = /^\s*(\d+)\s*,\s*([0-9.]+)\s*(?:W)?\s*$/.exec(line);
  if (match === null) return null;
  const powerW = Number(match[2]);
  return Number.isFinite(powerW) ? { gpu: Number(match[1]), powerW } : null;
}

/** Power samples (sum over GPUs per tick) and the step-function integral over a window. */
export class PowerTrace {
  private readonly samples: { ns: bigint; powerW: number }[] = [];
  private tick: { ns: bigint; powerW: number; gpus: Set<number> } | null = null;

  /**
   * Adds a GPU's reading taken at `ns`; a GPU index seen again in the tick starts a new tick.
   * Returns the tick this closed, if any.
   */
  add(ns: bigint, gpu: number, powerW: number): { ns: bigint; powerW: number } | null {
    let closed: { ns: bigint; powerW: number } | null = null;
    if (this.tick === null || this.tick.gpus.has(gpu)) {
      closed = this.flush();
      this.tick = { ns, powerW: 0, gpus: new Set() };
    }
    this.tick.gpus.add(gpu);
    this.tick.powerW += powerW;
    return closed;
  }

  /** Closes the current tick (called when a new one starts, or before reading). */
  flush(): { ns: bigint; powerW: number } | null {
    const tick = this.tick;
    if (tick === null) return null;
    this.tick = null;
    const sample = { ns: tick.ns, powerW: tick.powerW };
    this.samples.push(sample);
    if (this.samples.length > KEEP_SAMPLES) this.samples.splice(0, this.samples.length - KEEP_SAMPLES);
    return sample;
  }

  latestW(): number | undefined {
    return this.tick?.powerW ?? this.samples.at(-1)?.powerW;
  }

  /** ∫ power dt over [startNs, endNs], holding each sample (the open tick too) until the next; J. */
  energyJ(startNs: bigint, endNs: bigint): number {
    const samples = this.tick === null ? this.samples : [...this.samples, this.tick];
    let energy = 0;
    let powerW = samples.filter((s) => s.ns <= startNs).at(-1)?.powerW ?? samples[0]?.powerW ?? 0;
    let at = startNs;
    for (const sample of samples) {
      if (sample.ns <= startNs) continue;
      if (sample.ns >= endNs) break;
      energy += (powerW * Number(sample.ns - at)) / 1e9;
      powerW = sample.powerW;
      at = sample.ns;
    }
    return energy + (powerW * Number(endNs - at)) / 1e9;
  }
}

export class NvmlMeter implements EnergyMeter {
  readonly provenance = 'nvml' as const;
  readonly method =
    'NVML GPU power (nvidia-smi power.draw every 100 ms) integrated over each batch’s model call (GPU boards only: not the host CPU, memory or power supply)';
  /** The power trace has its own timestamps: the model's thread only reads the clock. */
  readonly markSource: MarkSource = { kind: 'clock' };
  private idle = Number.NaN;
  private inWindow = 0;

  constructor(
    readonly trace: PowerTrace,
    private readonly child: ChildProcess | null,
  ) {}

  /** Called for every closed tick: ticks outside any window update the idle power. */
  noteTick(powerW: number): void {
    if (this.inWindow > 0) return;
    this.idle = Number.isFinite(this.idle)
      ? (1 - IDLE_SMOOTHING) * this.idle + IDLE_SMOOTHING * powerW
      : powerW;
  }

  begin(): OpenWindow {
    this.inWindow++;
    return { startNs: process.hrtime.bigint(), mark: 0 };
  }

  end(window: OpenWindow, marks?: ComputeMarks): WindowEnergy {
    const startNs = marks?.start.ns ?? window.startNs;
    const endNs = marks?.end.ns ?? process.hrtime.bigint();
    this.inWindow = Math.max(0, this.inWindow - 1);
    const grossJ = this.trace.energyJ(startNs, endNs);
    return {
      grossJ,
      uncertaintyJ: grossJ * NVML_GAIN_ERROR,
      idleW: this.idleW(),
      durationS: Number(endNs - startNs) / 1e9,
    };
  }

  idleW(): number {
    return Number.isFinite(this.idle) ? this.idle : (this.trace.latestW() ?? 0);
  }

  async close(): Promise<void> {
    this.child?.kill('SIGTERM');
  }
}

/** Whether `nvidia-smi` answers with at least one GPU's power (the probe `--energy auto` runs). */
export function nvmlAvailable(run: () => string | null): boolean {
  const out = run();
  return out?.split('\n').some((line) => parseNvmlLine(line) !== null) ?? false;
}

const QUERY = ['--query-gpu=index,power.draw', '--format=csv,noheader,nounits'];

/** Starts the sampling child; resolves once the first tick arrived (or rejects within 5 s). */
export async function openNvmlMeter(command = 'nvidia-smi'): Promise<NvmlMeter> {
  const child = spawn(command, [...QUERY, `-lms`, String(NVML_PERIOD_MS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const trace = new PowerTrace();
  const meter = new NvmlMeter(trace, child);
  const lines = createInterface({ input: child.stdout });
  const first = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nvidia-smi gave no power reading within 5 s')), 5000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    lines.on('line', (line) => {
      const reading = parseNvmlLine(line);
      if (reading === null) return;
      const closed = trace.add(process.hrtime.bigint(), reading.gpu, reading.powerW);
      if (closed !== null) meter.noteTick(closed.powerW);
      clearTimeout(timer);
      resolve();
    });
  });
  child.once('exit', (code, signal) => {
    if (signal !== 'SIGTERM') log.warn({ code, signal }, 'nvidia-smi stopped: GPU power readings stopped');
  });
  try {
    await first;
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
  return meter;
}
