// Device figures from the collector's store: per-inference energy (gross and above-idle), latency and
// accuracy (the records' own, or from feedback joined to them) of one device running one model, as mean ± standard error. The per-record sensor
// uncertainty is correlated between records (same sensor, same calibration), so it does not average
// down: it is added in quadrature to the statistical standard error of the mean. Energy is measured
// per window, and the records of a batched window are one measurement: its standard error is taken
// over windows (protocol/record-windows.ts), and above-idle energy over the window's span.

import { EdgewattError } from '../../common/errors.js';
import { type MeanEstimate, RunningMean } from '../../common/running-mean.js';
import {
  meanOverWindows,
  type RecordWindow,
  type SensorCoverage,
  WindowGrouper,
} from '../../protocol/index.js';
// The store's pieces, not its registry (store/index.ts): that one loads every driver (SQLite's
// native module, InfluxDB's sink), which the life-cycle engine and its callers do not need.
import { describeFilter, type RecordFilter } from '../store/filter.js';
import { readLabelledRecords } from '../store/labels.js';
import { type SkipCount, skipFirstPerModel } from '../store/skip-first.js';
import type { RecordReader } from '../store/store.js';
import { coverageOfSensors } from './coverage.js';
import type { OffloadMeasurement } from './measured-offload.js';
import { Z95 } from './sample.js';
import type { Uncertain } from './uncertain.js';

export class MeasurementError extends EdgewattError {
  override readonly name = 'MeasurementError';
}

/** One device and model (its id, an 8+ character prefix, or its variant), narrowed further by any filter. */
export interface MeasurementQuery extends RecordFilter {
  device: string;
  model: string;
  /** Drop the first n records of the device and model (a run's warm-up; compare --skip-first). */
  skipFirst?: number | undefined;
}

export interface Measurement {
  fleet: string;
  device: string;
  modelId: string;
  records: number;
  /** Measured windows the records came from (fewer than records when windows were batched). */
  windows: number;
  /** How the records' energy was obtained: by a power sensor, or estimated (simulated sensor). */
  energyProvenance: 'measured' | 'estimated' | 'mixed';
  sensors: string[];
  /** What the sensors see of the board (protocol/sensor-coverage.ts), from the records' sensor kind. */
  coverage: SensorCoverage | 'unknown';
  energyJ: MeanEstimate & { sensorUncertaintyJ: number };
  /**
   * Above-idle energy; `baselineUncertaintyJ` is what the baseline's own uncertainty (shared by the
   * records of a stretch of time, so it does not average down) adds per inference.
   */
  marginalEnergyJ: MeanEstimate & { baselineUncertaintyJ: number };
  latencyS: MeanEstimate;
  /** Share of labelled records that were correct; null when no record says. */
  accuracy: (MeanEstimate & { labelled: number }) | null;
  /** Records dropped at the start (compare --skip-first), when asked. */
  skippedFirst?: number;
  /**
   * The same device and model's offload records (measured-offload.ts), when the store holds
   * answered ones: then the offload side is taken from them too. Absent or null: a model.
   */
  offload?: OffloadMeasurement | null;
}

/** Reads one device/model's records from a connected store; the store applies the filter. */
export async function measure(store: RecordReader, query: MeasurementQuery): Promise<Measurement> {
  const windows: RecordWindow[] = [];
  const grouper = new WindowGrouper();
  const latency = new RunningMean();
  let uncertaintySum = 0;
  let labelled = 0;
  let correct = 0;
  const fleets = new Set<string>();
  const models = new Set<string>();
  const provenances = new Set<string>();
  const sensors = new Set<string>();
  const { skipFirst = 0, ...filter } = query;
  const skip: SkipCount = { skipped: 0 };
  // Feedback joined: a label given after the answer makes the record's correctness known.
  for await (const record of skipFirstPerModel(readLabelledRecords(store, filter), skipFirst, skip)) {
    fleets.add(record.fleet);
    models.add(record.modelId);
    provenances.add(record.provenance);
    sensors.add(record.sensor);
    const closed = grouper.add(record);
    if (closed !== undefined) windows.push(closed);
    latency.add(record.durationUs / 1e6);
    uncertaintySum += record.energyUncertaintyJ;
    if (record.correct !== null) {
      labelled++;
      if (record.correct) correct++;
    }
  }
  const where = `${describeFilter(filter)}${skipFirst > 0 ? `, after the first ${skipFirst} records (${skip.skipped} skipped)` : ''}`;
  const last = grouper.flush();
  if (last !== undefined) windows.push(last);
  if (latency.n === 0) {
    throw new MeasurementError(
      `device.measured: the store has no inference records for ${where}; check the ids with \`edgewatt export\``,
    );
  }
  if (fleets.size > 1 || models.size > 1) {
    throw new MeasurementError(
      `device.measured: ${where} matches ${fleets.size} fleet(s) and ${models.size} model(s) (${[...models].join(', ')}); give device.measured.fleet or a longer model id`,
    );
  }
  const coverage = coverageOfSensors([...sensors]);
  if (coverage === 'mixed') {
    throw new MeasurementError(
      `device.measured: ${where} has records from sensors that see different parts of the board (${[...sensors].join(', ')}); their energies do not average`,
    );
  }
  const energy = meanOverWindows(windows, (w) => w.energyPerInferenceJ);
  const marginal = meanOverWindows(windows, (w) => w.aboveIdlePerInferenceJ);
  const p = labelled > 0 ? correct / labelled : 0;
  return {
    fleet: [...fleets][0] as string,
    device: query.device,
    modelId: [...models][0] as string,
    records: latency.n,
    windows: windows.length,
    energyProvenance:
      provenances.size > 1 ? 'mixed' : (([...provenances][0] as 'measured' | 'estimated') ?? 'mixed'),
    sensors: [...sensors].sort(),
    coverage,
    energyJ: {
      mean: energy.mean,
      standardError: energy.standardError,
      sensorUncertaintyJ: uncertaintySum / latency.n,
    },
    marginalEnergyJ: {
      mean: marginal.mean,
      standardError: marginal.standardError,
      baselineUncertaintyJ: meanOverWindows(windows, (w) => w.baselineUncertaintyPerInferenceJ).mean,
    },
    latencyS: latency.estimate(),
    accuracy: labelled > 0 ? { mean: p, standardError: Math.sqrt((p * (1 - p)) / labelled), labelled } : null,
    ...(skipFirst > 0 ? { skippedFirst: skip.skipped } : {}),
  };
}

/** A mean ± 1σ as a normal Uncertain whose [low, high] is its central 90 %. */
export function normalAround(
  mean: number,
  sigma: number,
  source: string,
  note: string,
  bounds?: { min: number; max: number },
): Uncertain {
  return {
    central: mean,
    low: mean - Z95 * sigma,
    high: mean + Z95 * sigma,
    distribution: sigma > 0 ? 'normal' : 'fixed',
    source,
    note,
    ...(bounds === undefined ? {} : { bounds }),
  };
}
