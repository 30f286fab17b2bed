// The comparison basis `--placement auto` decides on: for one device and the model it runs, the
// life-cycle engine's gCO2e per inference on the edge and offloaded, each side taken from the
// collector's store where it has records (the device's inference records; its answered offload
// records) and from the scenario's profiles where it has none — and the basis says which.
// Recomputed by the placement owner (owner.ts) on an interval and whenever an auto command is set.

import { compare, type Measurement, MeasurementError, measure, type Scenario } from '../lifecycle/index.js';
import { measureOffload } from '../lifecycle/measured-offload.js';
import type { OffloadReader, RecordReader } from '../store/store.js';

/** What the agent reads (protocol/placement.ts `basis`): unchanged on the wire. */
export interface WireBasis {
  comparedAt: string;
  edgeG: number;
  offloadG: number;
}

/** Where each side's figures came from; kept by the collector and shown by `placement status`. */
export interface BasisProvenance {
  scenario: string;
  modelId: string;
  /** `measured`: the device's inference records in the store; `profile`: the scenario's values. */
  edgeSource: 'measured' | 'profile';
  /** `measured`: its answered offload records; `profile`: the scenario's network and datacenter. */
  offloadSource: 'measured' | 'profile';
  edgeRecords: number;
  /** Answered (outcome ok) offload records the offload side came from; 0 when profile. */
  offloadRecords: number;
  /** The Monte Carlo 5th–95th percentiles of each side, g per inference. */
  edgeIntervalG: [number, number];
  offloadIntervalG: [number, number];
  /** Share of Monte Carlo draws where the edge emits less. */
  probabilityEdgeLower: number;
  /** Why a side is a profile, and the engine's warnings. */
  notes: string[];
}

export interface ComputedBasis {
  basis: WireBasis;
  provenance: BasisProvenance;
}

export type BasisOutcome = { ok: true; value: ComputedBasis } | { ok: false; problem: string };

/** Which device and model to compare. */
export interface BasisTarget {
  fleet: string;
  device: string;
  modelId: string;
}

/** Computes a basis; the owner is given one (the store's, or a fake in tests). */
export type BasisSource = (target: BasisTarget, nowMs: number) => Promise<BasisOutcome>;

export interface StoreBasisOptions {
  /** The scenario template: grid regions, profiles, workload, datacenter (its `device.measured` is replaced). */
  scenario: Scenario;
  scenarioName: string;
  reader: RecordReader;
  offload?: OffloadReader | undefined;
  /** Only records this recent describe the device now (default 7 days). */
  windowS?: number;
  /** Monte Carlo draws at most (default 4,000: a basis every few minutes must stay cheap). */
  maxSamples?: number;
}

export const DEFAULT_BASIS_WINDOW_S = 7 * 86_400;
export const DEFAULT_BASIS_SAMPLES = 4_000;

/** The store's basis source: measured sides where records exist, the scenario's profiles elsewhere. */
export function storeBasisSource(options: StoreBasisOptions): BasisSource {
  return async (target, nowMs) => {
    const windowS = options.windowS ?? DEFAULT_BASIS_WINDOW_S;
    // A 16-digit prefix: InfluxDB keeps the model id shortened in its tag (as the health gate reads).
    const filter = {
      fleet: target.fleet,
      device: target.device,
      model: target.modelId.slice(0, 16),
      fromUs: (nowMs - windowS * 1000) * 1000,
    };
    const notes: string[] = [];
    let measurement: Measurement | null = null;
    try {
      measurement = await measure(options.reader, filter);
    } catch (error) {
      if (!(error instanceof MeasurementError)) throw error;
      notes.push(`edge: no usable inference records (${error.message.replace(/^device\.measured: /, '')})`);
    }
    if (measurement !== null) {
      measurement.offload =
        options.offload === undefined ? null : await measureOffload(options.offload, filter);
      if (measurement.offload == null)
        notes.push(
          options.offload === undefined
            ? 'offload: the store keeps no offload records'
            : 'offload: no answered offload records of this device and model',
        );
    } else if (options.offload !== undefined) {
      notes.push('offload: the engine takes offload records only with measured edge records');
    }
    const scenario = scenarioFor(options.scenario, measurement, target.device, filter.model, target.fleet);
    scenario.samples = Math.min(scenario.samples, options.maxSamples ?? DEFAULT_BASIS_SAMPLES);
    let comparison: ReturnType<typeof compare>;
    try {
      comparison = compare(scenario, measurement === null ? undefined : () => measurement);
    } catch (error) {
      return { ok: false, problem: `scenario ${options.scenarioName}: ${(error as Error).message}` };
    }
    const offloadMeasured = measurement?.offload != null;
    return {
      ok: true,
      value: {
        basis: {
          comparedAt: new Date(nowMs).toISOString(),
          edgeG: comparison.edge.total.central,
          offloadG: comparison.offload.total.central,
        },
        provenance: {
          scenario: options.scenarioName,
          modelId: target.modelId,
          edgeSource: measurement === null ? 'profile' : 'measured',
          offloadSource: offloadMeasured ? 'measured' : 'profile',
          edgeRecords: measurement?.records ?? 0,
          offloadRecords: measurement?.offload?.answered ?? 0,
          edgeIntervalG: [comparison.edge.total.p5, comparison.edge.total.p95],
          offloadIntervalG: [comparison.offload.total.p5, comparison.offload.total.p95],
          probabilityEdgeLower: comparison.probabilityEdgeLower,
          notes: [...notes, ...comparison.warnings.slice(0, 3)],
        },
      },
    };
  };
}

/**
 * The template with each measured side's own values taken out: in a scenario, a value given wins
 * over the store (compare warns), but here the template's values are only the fallback for a side
 * without records.
 */
function scenarioFor(
  template: Scenario,
  measurement: Measurement | null,
  device: string,
  model: string,
  fleet: string,
): Scenario {
  const { measured: _, ...deviceValues } = template.device;
  if (measurement === null) return { ...template, device: deviceValues };
  const { energyJ: _e, latencyS: _l, accuracy: _a, ...edgeRest } = deviceValues;
  const scenario: Scenario = { ...template, device: { ...edgeRest, measured: { device, model, fleet } } };
  if (measurement.offload == null) return scenario;
  const { inputBytes: _i, outputBytes: _o, ...workload } = template.workload;
  const {
    rttS: _r,
    requestOverheadJ: _q,
    uplinkUJPerBit: _u,
    downlinkUJPerBit: _d,
    tailW: _t,
    ...network
  } = template.network;
  const { energyJ: _s, ...datacenter } = template.datacenter;
  return { ...scenario, workload, network, datacenter };
}

/** One line for the command's `reason` (≤ 500 characters): what an operator reading the topic sees. */
export function basisReason(value: ComputedBasis, prefix: string): string {
  const { basis, provenance: p } = value;
  const g = (x: number) => (x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toPrecision(3));
  const side = (source: string, n: number) => (source === 'measured' ? `measured, ${n} records` : 'profile');
  const line = `${prefix}; auto basis (${p.scenario}): edge ${g(basis.edgeG)} g (${side(p.edgeSource, p.edgeRecords)}) vs offload ${g(basis.offloadG)} g (${side(p.offloadSource, p.offloadRecords)}), p(edge lower) ${p.probabilityEdgeLower.toFixed(2)}`;
  return line.length <= 500 ? line : `${line.slice(0, 499)}…`;
}
