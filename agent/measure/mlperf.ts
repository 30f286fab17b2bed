// Reads an MLPerf Tiny EnergyRunner run folder (trace1-energy.bin, trace1-timestamps.json,
// results.txt) and recomputes the energy per inference of each measurement window and their
// median, so that our attribution can be checked against figures the submitters published.

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EdgewattError } from '../../common/errors.js';
import { median, type SampleSeries, valueAt } from './integrate.js';

export class MlperfFormatError extends EdgewattError {
  override readonly name = 'MlperfFormatError';
}

export interface MlperfRun {
  name: string;
  sampleRateHz: number;
  /** Energy consumed in each sample period, microjoules. */
  energyUj: Float32Array;
  /** GPIO timestamp events, seconds from the start of the trace. */
  timestampsS: number[];
  /** Window number (as results.txt numbers them: 2, 4, ...) → inferences run in that window. */
  inferences: Map<number, number>;
  /** What the submitter published: median and per-window energy per inference, µJ. */
  publishedMedianUj: number | undefined;
  publishedWindowUj: Map<number, number>;
}

export interface MlperfWindow {
  window: number;
  startS: number;
  endS: number;
  energyUj: number;
  inferences: number;
  energyPerInferenceUj: number;
  publishedPerInferenceUj: number | undefined;
}

export interface MlperfReplay {
  name: string;
  method: 'batched';
  windows: MlperfWindow[];
  medianPerInferenceUj: number;
  publishedMedianUj: number | undefined;
  /** (ours − published) / published; undefined when nothing was published. */
  relativeDifference: number | undefined;
}

const TRACE_MARKER = 0xf1;

function readText(folder: string, file: string): string {
  const path = join(folder, file);
  if (!existsSync(path))
    throw new MlperfFormatError(`${path} is missing; an MLPerf Tiny run folder holds ${file}`);
  return readFileSync(path, 'utf8');
}

export function parseEnergyTrace(
  bytes: Uint8Array,
  where: string,
): { rateHz: number; energyUj: Float32Array } {
  if (bytes.length < 5 || bytes[0] !== TRACE_MARKER)
    throw new MlperfFormatError(
      `${where}: expected the format marker 0xf1 then float32 values, got ${bytes.length} bytes starting 0x${(bytes[0] ?? 0).toString(16)}`,
    );
  const count = Math.floor((bytes.length - 1) / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset + 1, count * 4);
  const rateHz = view.getFloat32(0, true);
  if (!(rateHz > 0)) throw new MlperfFormatError(`${where}: sample rate ${rateHz} Hz must be positive`);
  const energyUj = new Float32Array(count - 1);
  for (let i = 1; i < count; i++) energyUj[i - 1] = view.getFloat32(i * 4, true);
  return { rateHz, energyUj };
}

export function parseResults(text: string): {
  inferences: Map<number, number>;
  publishedWindowUj: Map<number, number>;
  publishedMedianUj: number | undefined;
} {
  const inferences = new Map<number, number>();
  const publishedWindowUj = new Map<number, number>();
  let current: number | undefined;
  let section: 'energy' | 'performance' | undefined;
  for (const line of text.split(/\r?\n/)) {
    const energyHeader = /Energy data for window (\d+)/.exec(line);
    const perfHeader = /Performance results for window (\d+)/.exec(line);
    if (energyHeader) [current, section] = [Number(energyHeader[1]), 'energy'];
    else if (perfHeader) [current, section] = [Number(perfHeader[1]), 'performance'];
    const perInference = /Energy\/Inf\.\s*:\s*([\d.]+)\s*uJ/.exec(line);
    if (perInference && current !== undefined && section === 'energy')
      publishedWindowUj.set(current, Number(perInference[1]));
    const count = /# Inferences\s*:\s*(\d+)/.exec(line);
    if (count && current !== undefined && section === 'performance')
      inferences.set(current, Number(count[1]));
  }
  const medianMatch = /Median energy cost is\s*([\d.]+)\s*uJ/.exec(text);
  return {
    inferences,
    publishedWindowUj,
    publishedMedianUj: medianMatch ? Number(medianMatch[1]) : undefined,
  };
}

export function readMlperfRun(folder: string): MlperfRun {
  const tracePath = join(folder, 'trace1-energy.bin');
  if (!existsSync(tracePath))
    throw new MlperfFormatError(
      `${tracePath} is missing; is ${folder} an MLPerf Tiny EnergyRunner run folder?`,
    );
  const { rateHz, energyUj } = parseEnergyTrace(readFileSync(tracePath), tracePath);
  const timestamps: unknown = JSON.parse(readText(folder, 'trace1-timestamps.json'));
  if (!Array.isArray(timestamps) || !timestamps.every((t) => typeof t === 'number'))
    throw new MlperfFormatError(`${join(folder, 'trace1-timestamps.json')} must be a JSON array of seconds`);
  const results = parseResults(readText(folder, 'results.txt'));
  if (results.inferences.size === 0)
    throw new MlperfFormatError(`${join(folder, 'results.txt')} has no "# Inferences" line for any window`);
  return {
    name: basename(folder),
    sampleRateHz: rateHz,
    energyUj,
    timestampsS: timestamps as number[],
    ...results,
  };
}

/** Cumulative energy (µJ) at the start of each sample period, as a counter series in seconds. */
function cumulativeSeries(run: MlperfRun): SampleSeries {
  const n = run.energyUj.length + 1;
  const tNs = new Float64Array(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    tNs[i] = (i / run.sampleRateHz) * 1e9;
    if (i > 0) value[i] = (value[i - 1] ?? 0) + (run.energyUj[i - 1] ?? 0);
  }
  return { tNs, value, length: n };
}

/** Window k (numbered as results.txt does) spans timestamps[k − 1] to timestamps[k]. */
export function replayMlperfRun(run: MlperfRun): MlperfReplay {
  const series = cumulativeSeries(run);
  const windows: MlperfWindow[] = [];
  for (const [window, inferences] of [...run.inferences].sort((a, b) => a[0] - b[0])) {
    const startS = run.timestampsS[window - 1];
    const endS = run.timestampsS[window];
    if (startS === undefined || endS === undefined)
      throw new MlperfFormatError(
        `${run.name}: window ${window} needs timestamps ${window - 1} and ${window}, the file has ${run.timestampsS.length}`,
      );
    // Interpolating the running sum at both edges = summing whole periods plus the covered fractions.
    const energyUj = valueAt(series, endS * 1e9) - valueAt(series, startS * 1e9);
    windows.push({
      window,
      startS,
      endS,
      energyUj,
      inferences,
      energyPerInferenceUj: energyUj / inferences,
      publishedPerInferenceUj: run.publishedWindowUj.get(window),
    });
  }
  const medianPerInferenceUj = median(windows.map((w) => w.energyPerInferenceUj));
  return {
    name: run.name,
    method: 'batched',
    windows,
    medianPerInferenceUj,
    publishedMedianUj: run.publishedMedianUj,
    relativeDifference:
      run.publishedMedianUj === undefined ? undefined : medianPerInferenceUj / run.publishedMedianUj - 1,
  };
}
