// Replays a recorded power trace as if it were a live sensor: a CSV of time and power (seconds,
// watts), or an MLPerf Tiny run folder (energy per sample period). Time 0 of the trace is when the
// sensor opens; the trace loops. The energy is not a measurement of the inference that runs now,
// so it is labelled estimated.

import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { EdgewattError } from '../../common/errors.js';
import { type SampleSeries, valueAt } from '../measure/integrate.js';
import { readMlperfRun } from '../measure/mlperf.js';
import type { SampleSource } from './sensor.js';
import { SensorConfigError } from './sensor.js';
import { sampledSensorFactory } from './sources.js';

export class TraceFormatError extends EdgewattError {
  override readonly name = 'TraceFormatError';
}

/** `time_s,power_w` rows (a header line and # comments are allowed), times increasing. */
export function parsePowerCsv(text: string, where: string): SampleSeries {
  const t: number[] = [];
  const p: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const [timeText = '', powerText = ''] = trimmed.split(/[,;\t]/).map((cell) => cell.trim());
    const timeS = Number(timeText);
    const powerW = Number(powerText);
    if (!Number.isFinite(timeS) || !Number.isFinite(powerW) || timeText === '' || powerText === '') {
      if (t.length === 0 && index === 0) return; // header
      throw new TraceFormatError(
        `${where}:${index + 1}: expected "time_s,power_w", got ${JSON.stringify(line)}`,
      );
    }
    if (t.length > 0 && timeS * 1e9 <= (t[t.length - 1] ?? 0))
      throw new TraceFormatError(`${where}:${index + 1}: time ${timeS} s does not increase`);
    t.push(timeS * 1e9);
    p.push(powerW);
  });
  if (t.length < 2)
    throw new TraceFormatError(`${where}: a trace needs at least two samples, found ${t.length}`);
  return { tNs: Float64Array.from(t), value: Float64Array.from(p), length: t.length };
}

/** An MLPerf Tiny trace as power samples at the middle of each period. */
export function mlperfPowerSeries(folder: string): SampleSeries {
  const run = readMlperfRun(folder);
  const n = run.energyUj.length;
  const tNs = new Float64Array(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    tNs[i] = ((i + 0.5) / run.sampleRateHz) * 1e9;
    value[i] = (run.energyUj[i] ?? 0) * 1e-6 * run.sampleRateHz;
  }
  return { tNs, value, length: n };
}

export function loadTrace(path: string): SampleSeries {
  try {
    if (statSync(path).isDirectory()) return mlperfPowerSeries(path);
    return parsePowerCsv(readFileSync(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new SensorConfigError(
        `replay: trace ${path} does not exist; give file=<csv> or file=<MLPerf run folder>`,
      );
    throw error;
  }
}

export class ReplaySource implements SampleSource {
  readonly quantity = 'power' as const;
  readonly counterRangeJ = Number.POSITIVE_INFINITY;
  readonly accuracy = { gainErrorRel: 0, quantum: 0 };
  readonly delayNs = 0;
  readonly defaultPeriodMs: number;
  private readonly startNs: number;
  private readonly spanNs: number;
  private readonly firstNs: number;

  constructor(
    private readonly trace: SampleSeries,
    private readonly clockNs: () => number = () => Number(process.hrtime.bigint()),
  ) {
    this.firstNs = trace.tNs[0] ?? 0;
    this.spanNs = (trace.tNs[trace.length - 1] ?? 0) - this.firstNs;
    // The trace's own period, within 1 ms … 100 ms (a sparse trace is still sampled often).
    this.defaultPeriodMs = Math.min(100, Math.max(1, this.spanNs / Math.max(1, trace.length - 1) / 1e6));
    this.startNs = clockNs();
  }

  read(): number {
    const elapsed = (this.clockNs() - this.startNs) % this.spanNs;
    return valueAt(this.trace, this.firstNs + elapsed);
  }

  close(): void {}
}

export const replaySensorFactory = sampledSensorFactory({
  kind: 'replay',
  coverage: 'estimate',
  description:
    'replays a recorded trace, CSV time_s,power_w or an MLPerf Tiny run folder (option file; estimated)',
  preference: 0,
  provenance: 'estimated',
  fitsAnyBoard: true,
  options: z.object({ file: z.string({ error: 'replay needs file=<csv or MLPerf run folder>' }) }),
  async open(options) {
    return new ReplaySource(loadTrace(options.file));
  },
});
