// The comparison: resolve the scenario, draw every uncertain parameter once (common random numbers
// for both placements), evaluate the model, and summarise totals, terms, difference, ratio, the
// probability that edge is lower, functional units, break-even and the sensitivity ranking.

import { type BreakEven, breakEven, type RateDifference } from './breakeven.js';
import { crossingsOfBlock } from './breakeven-draws.js';
import type { Measurement } from './measured.js';
import {
  allocateTerms,
  EDGE_TERMS,
  type EdgeTerm,
  evaluate,
  J_PER_KWH,
  OFFLOAD_TERMS,
  type OffloadTerm,
  PARAMETERS,
  type ParameterArrays,
  type ParameterId,
  rateKinks,
  type TermArrays,
} from './model.js';
import type { TrainingEnergySource } from './model-energy.js';
import { type PointValues, pointValueTerms } from './point-values.js';
import { type MeasurementSource, type Origin, type ResolvedScenario, resolveScenario } from './resolve.js';
import { isConstant, ParameterSampler } from './sample.js';
import type { Scenario } from './scenario.js';
import { type Interval, interval, percentiles, spearmanAgainst } from './stats.js';

export const UNIT = 'gCO2e per inference';
/** Draws used for the rank correlations: plenty for ±0.01 on ρ, and keeps sorting cheap. */
export const SENSITIVITY_DRAWS = 20_000;

export interface Sensitivity {
  parameter: ParameterId;
  /** Spearman rank correlation of the parameter's draws with edge − offload. */
  spearman: number;
}

export interface ProvenanceEntry {
  origin: Origin;
  central: number;
  low: number;
  high: number;
  distribution: string;
  source: string;
  note?: string;
  profile?: string;
  sameAs?: ParameterId;
}

export interface Comparison {
  unit: string;
  label: string;
  scenario: {
    name: string | null;
    samples: number;
    seed: number;
    allocation: string;
    energyBasis: string;
    networkModel: string;
  };
  edge: { total: Interval; terms: Record<EdgeTerm, Interval> };
  offload: { total: Interval; terms: Record<OffloadTerm, Interval> };
  /** edge − offload, g per inference: negative when edge is lower. */
  difference: Interval;
  /** edge ÷ offload. */
  ratio: Interval;
  probabilityEdgeLower: number;
  /**
   * Set when a term resting on a point value (default spread or a single scenario number) is more
   * than 10 % of a total: the probability above is then less certain than it looks (issue 13).
   */
  probabilityEdgeLowerWarning: string | null;
  /** Terms that rest on a point value, marked "(point value)" in the text. */
  pointValues: PointValues;
  breakEvenInferencesPerDay: BreakEven;
  /**
   * Inferences after which running the model (edge: operational + idle; offload: deviceRadio +
   * deviceWait + deviceIdle + network + datacenter) has emitted more than training it (trainingJ ×
   * training.gPerKWh), at central values; null without a training block or trainingJ.
   */
  trainingExceededAfter: { edge: number | null; offload: number | null };
  perCorrectInference: { edge: Interval; offload: Interval } | { reason: string };
  per1000Inferences: { edge: Interval; offload: Interval; difference: Interval };
  perDeviceDay: { unit: string; edge: Interval; offload: Interval; difference: Interval };
  sensitivity: Sensitivity[];
  provenance: Partial<Record<ParameterId, ProvenanceEntry>>;
  measurement: Measurement | null;
  /** What the reader must know: lognormal centrals off their range, idle not charged, ... */
  warnings: string[];
}

export interface Draws {
  n: number;
  /** The draws kept after the run: every parameter in full, or those (and as many) asked for. */
  parameters: Partial<ParameterArrays>;
  terms: TermArrays;
}

/** Draws are made and evaluated in blocks of this many, so the parameters never exist in full. */
export const BLOCK = 65_536;

/** Which parameters' draws to keep after the run, and how many of them (from the first). */
export type Keep = Partial<Record<ParameterId, number>> | 'all';

/** Sees every block of draws after it is evaluated: `parameters` hold draws [start, start + count). */
export type BlockObserver = (parameters: ParameterArrays, count: number, start: number) => void;

/**
 * Draws every parameter and evaluates the model: the Monte Carlo core (what the bench times). Runs
 * in blocks (each parameter's stream continues across blocks, so the draws are the same as in one
 * go); only the parameters in `keep` are kept, which bounds memory by the terms, not the inputs.
 */
export function simulate(
  resolved: ResolvedScenario,
  n: number,
  seed: number,
  keep: Keep = 'all',
  observe?: BlockObserver,
): Draws {
  const block = keep === 'all' ? n : Math.min(n, BLOCK);
  const samplers = new Map<ParameterId, ParameterSampler>();
  const buffers = {} as ParameterArrays;
  for (const id of PARAMETERS) {
    if (resolved.aliases[id] !== undefined) continue;
    samplers.set(id, new ParameterSampler(resolved.values[id], seed, id, n));
    buffers[id] = new Float64Array(block);
  }
  for (const [alias, of] of Object.entries(resolved.aliases) as [ParameterId, ParameterId][]) {
    buffers[alias] = buffers[of];
  }
  const kept: Partial<ParameterArrays> = {};
  const keepLength = (id: ParameterId) => (keep === 'all' ? n : Math.min(n, keep[id] ?? 0));
  for (const id of PARAMETERS)
    if (keepLength(id) > 0 && keep !== 'all') kept[id] = new Float64Array(keepLength(id));
  const terms = allocateTerms(n);
  for (let start = 0; start < n; start += block) {
    const count = Math.min(block, n - start);
    const view =
      count === block
        ? buffers
        : (Object.fromEntries(
            PARAMETERS.map((id) => [id, buffers[id].subarray(0, count)]),
          ) as ParameterArrays);
    for (const [id, sampler] of samplers) sampler.fill(view[id]);
    evaluate(view, count, resolved.options, terms, start);
    observe?.(view, count, start);
    if (keep === 'all') continue;
    for (const [id, array] of Object.entries(kept) as [ParameterId, Float64Array][]) {
      if (start < array.length) array.set(view[id].subarray(0, Math.min(count, array.length - start)), start);
    }
  }
  return { n, parameters: keep === 'all' ? buffers : kept, terms };
}

function kept(draws: Draws, id: ParameterId): Float64Array {
  const array = draws.parameters[id];
  if (array === undefined) throw new Error(`internal: the draws of ${id} were not kept`);
  return array;
}

function scaled(i: Interval, factor: number): Interval {
  return { central: i.central * factor, median: i.median * factor, p5: i.p5 * factor, p95: i.p95 * factor };
}

function combine(a: Float64Array, b: Float64Array, op: (x: number, y: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = op(a[i] as number, b[i] as number);
  return out;
}

function summariseCrossings(smallest: Float64Array): NonNullable<BreakEven['draws']> {
  const crossing = smallest.filter((x) => !Number.isNaN(x));
  if (crossing.length === 0) return { crossing: 0, median: null, p5: null, p95: null };
  const [p5, median, p95] = percentiles(crossing, [0.05, 0.5, 0.95]) as [number, number, number];
  return { crossing: crossing.length / smallest.length, median, p5, p95 };
}

/** edge − offload at central values as a function of the rate: the model itself, one draw. */
function centralDifference(central: Draws, resolved: ResolvedScenario): RateDifference {
  const rate = new Float64Array(1);
  const parameters = { ...(central.parameters as ParameterArrays), 'workload.inferencesPerDay': rate };
  const terms = allocateTerms(1);
  return (inferencesPerDay) => {
    rate[0] = inferencesPerDay;
    evaluate(parameters, 1, resolved.options, terms);
    return (terms.edgeTotal[0] as number) - (terms.offloadTotal[0] as number);
  };
}

/** Inferences until running exceeds training, at central values; null without the data. */
function trainingExceeded(resolved: ResolvedScenario, c: TermArrays): Comparison['trainingExceededAfter'] {
  const { values, options } = resolved;
  const after = (trainingJ: ParameterId, runningG: number): number | null => {
    if (options.training !== true || values[trainingJ].origin === 'default') return null;
    const trainingG = (values[trainingJ].central * values['training.gPerKWh'].central) / J_PER_KWH;
    const n = trainingG / runningG;
    return Number.isFinite(n) ? n : null;
  };
  const at = (array: Float64Array) => array[0] as number;
  const o = c.offload;
  return {
    edge: after('device.trainingJ', at(c.edge.operational) + at(c.edge.idle)),
    offload: after(
      'datacenter.trainingJ',
      at(o.deviceRadio) + at(o.deviceWait) + at(o.deviceIdle) + at(o.network) + at(o.datacenter),
    ),
  };
}

export function compareResolved(resolved: ResolvedScenario): Comparison {
  const { scenario, values, aliases } = resolved;
  const sensitivityN = Math.min(scenario.samples, SENSITIVITY_DRAWS);
  const uncertain =
    sensitivityN > 2
      ? PARAMETERS.filter(
          (id) => aliases[id] === undefined && values[id].origin !== 'not-needed' && !isConstant(values[id]),
        )
      : [];
  // Keep in full only what the summaries below use per draw; the sensitivity needs its first draws.
  const keep: Partial<Record<ParameterId, number>> = {
    'workload.inferencesPerDay': scenario.samples,
    'device.accuracy': resolved.hasAccuracy ? scenario.samples : 0,
    'datacenter.accuracy': resolved.hasAccuracy ? scenario.samples : 0,
  };
  for (const id of uncertain) keep[id] = Math.max(keep[id] ?? 0, sensitivityN);
  const central = simulate(resolved, 1, scenario.seed);
  // The smallest crossing of every draw, found block by block while the draws exist in full.
  const options = resolved.options;
  const rateDependent = options.allocation === 'dedicated' || options.radioTail === true;
  const smallest = rateDependent && scenario.samples > 1 ? new Float64Array(scenario.samples) : null;
  const draws = simulate(
    resolved,
    scenario.samples,
    scenario.seed,
    keep,
    smallest === null ? undefined : (p, count, start) => crossingsOfBlock(p, count, options, smallest, start),
  );
  const at = (array: Float64Array) => array[0] as number;
  const summary = (array: Float64Array, centralArray: Float64Array) => interval(array, at(centralArray));
  const { terms } = draws;
  const c = central.terms;

  const difference = combine(terms.edgeTotal, terms.offloadTotal, (e, o) => e - o);
  const ratio = combine(terms.edgeTotal, terms.offloadTotal, (e, o) => e / o);
  let lower = 0;
  for (let i = 0; i < draws.n; i++) if ((difference[i] as number) < 0) lower++;

  const edgeTerms = Object.fromEntries(
    EDGE_TERMS.map((t) => [t, summary(terms.edge[t], c.edge[t])]),
  ) as Record<EdgeTerm, Interval>;
  const offloadTerms = Object.fromEntries(
    OFFLOAD_TERMS.map((t) => [t, summary(terms.offload[t], c.offload[t])]),
  ) as Record<OffloadTerm, Interval>;
  const edgeTotal = summary(terms.edgeTotal, c.edgeTotal);
  const offloadTotal = summary(terms.offloadTotal, c.offloadTotal);
  const differenceI = interval(difference, at(c.edgeTotal) - at(c.offloadTotal));

  // A total divided or multiplied per draw by a quantity that is constant is just rescaled: rescale
  // its interval instead of building and selecting another million-value array.
  const perDraw = (total: Float64Array, totalI: Interval, id: ParameterId, op: 'divide' | 'multiply') => {
    const v = values[id];
    const factor = op === 'divide' ? 1 / v.central : v.central;
    if (isConstant(v)) return scaled(totalI, factor);
    const by = kept(draws, id);
    const central = totalI.central * factor;
    return interval(combine(total, by, op === 'divide' ? (g, a) => g / a : (g, a) => g * a), central);
  };
  const perCorrect = resolved.hasAccuracy
    ? {
        edge: perDraw(terms.edgeTotal, edgeTotal, 'device.accuracy', 'divide'),
        offload: perDraw(terms.offloadTotal, offloadTotal, 'datacenter.accuracy', 'divide'),
      }
    : { reason: 'give device.accuracy (or measured data with correct labels) and datacenter.accuracy' };

  const be = breakEven(
    centralDifference(central, resolved),
    rateKinks(central.parameters as ParameterArrays, 0, options),
    {
      allocation: options.allocation,
      sameBoard: scenario.offloadDevice === undefined,
      rateTerms:
        (options.allocation === 'dedicated' && options.energyBasis === 'gross') || options.radioTail === true,
    },
  );
  if (smallest !== null) be.draws = summariseCrossings(smallest);

  const rhos = spearmanAgainst(
    uncertain.map((id) => kept(draws, id)),
    difference,
    sensitivityN,
  );
  const sensitivity: Sensitivity[] = uncertain
    .map((parameter, i) => ({ parameter, spearman: rhos[i] as number }))
    .sort((a, b) => Math.abs(b.spearman) - Math.abs(a.spearman));

  const pointValues = pointValueTerms(resolved, {
    edge: Object.fromEntries(EDGE_TERMS.map((t) => [t, at(c.edge[t])])) as Record<EdgeTerm, number>,
    offload: Object.fromEntries(OFFLOAD_TERMS.map((t) => [t, at(c.offload[t])])) as Record<
      OffloadTerm,
      number
    >,
  });

  const provenance: Partial<Record<ParameterId, ProvenanceEntry>> = {};
  for (const id of PARAMETERS) {
    const v = values[id];
    if (v.origin === 'not-needed') continue;
    provenance[id] = {
      origin: v.origin,
      central: v.central,
      low: v.low,
      high: v.high,
      distribution: isConstant(v) ? 'fixed' : v.distribution,
      source: v.source,
      ...(v.note === undefined ? {} : { note: v.note }),
      ...(v.profile === undefined ? {} : { profile: v.profile }),
      ...(aliases[id] === undefined ? {} : { sameAs: aliases[id] }),
    };
  }

  return {
    unit: UNIT,
    label: 'ESTIMATE: life-cycle model with sourced factor ranges; see docs/methodology.md',
    scenario: {
      name: scenario.name ?? null,
      samples: scenario.samples,
      seed: scenario.seed,
      allocation: scenario.allocation,
      energyBasis: scenario.energyBasis,
      networkModel: scenario.network.model,
    },
    edge: { total: edgeTotal, terms: edgeTerms },
    offload: { total: offloadTotal, terms: offloadTerms },
    difference: differenceI,
    ratio: interval(ratio, at(c.edgeTotal) / at(c.offloadTotal)),
    probabilityEdgeLower: lower / draws.n,
    probabilityEdgeLowerWarning: pointValues.warning,
    pointValues,
    breakEvenInferencesPerDay: be,
    trainingExceededAfter: trainingExceeded(resolved, c),
    perCorrectInference: perCorrect,
    per1000Inferences: {
      edge: scaled(edgeTotal, 1000),
      offload: scaled(offloadTotal, 1000),
      difference: scaled(differenceI, 1000),
    },
    perDeviceDay: {
      unit: 'gCO2e per device-day',
      edge: perDraw(terms.edgeTotal, edgeTotal, 'workload.inferencesPerDay', 'multiply'),
      offload: perDraw(terms.offloadTotal, offloadTotal, 'workload.inferencesPerDay', 'multiply'),
      difference: perDraw(difference, differenceI, 'workload.inferencesPerDay', 'multiply'),
    },
    sensitivity,
    provenance,
    measurement: resolved.measurement,
    warnings: resolved.warnings,
  };
}

export function compare(
  scenario: Scenario,
  measurements?: MeasurementSource,
  models?: TrainingEnergySource,
): Comparison {
  return compareResolved(resolveScenario(scenario, measurements, models));
}
