// Which terms rest on a point value (issue 13): a parameter whose range is the labelled default spread
// (no source gives one) or a single number given in the scenario. Such a term's interval says little,
// so it is marked "(point value)", and when it is more than 10 % of a placement's total, the
// probability that edge is lower carries a warning naming it.

import type { EdgeTerm, OffloadTerm, ParameterId } from './model.js';
import type { ResolvedScenario } from './resolve.js';
import { isConstant } from './sample.js';

/** The parameters each term is computed from (model.ts `evaluate`); workload sizes are definitions. */
export const EDGE_TERM_INPUTS: Record<EdgeTerm, readonly ParameterId[]> = {
  operational: ['device.energyJ', 'device.gPerKWh', 'device.psuEfficiency'],
  idle: ['device.idleW', 'device.latencyS', 'device.gPerKWh', 'device.psuEfficiency'],
  embodied: ['device.embodiedKg', 'device.lifetimeYears', 'device.latencyS'],
  training: ['device.trainingJ', 'training.gPerKWh', 'training.fleetInferences'],
};

export const OFFLOAD_TERM_INPUTS: Record<OffloadTerm, readonly ParameterId[]> = {
  deviceRadio: [
    'network.uplinkUJPerBit',
    'network.downlinkUJPerBit',
    'network.requestOverheadJ',
    'network.tailW',
    'device.gPerKWh',
    'device.psuEfficiency',
  ],
  deviceWait: ['offloadDevice.idleW', 'network.rttS', 'device.gPerKWh', 'device.psuEfficiency'],
  deviceIdle: ['offloadDevice.idleW', 'network.rttS', 'device.gPerKWh', 'device.psuEfficiency'],
  network: ['network.kWhPerGB', 'device.gPerKWh'],
  datacenter: [
    'datacenter.energyJ',
    'datacenter.idleW',
    'datacenter.powerW',
    'datacenter.utilization',
    'datacenter.pue',
    'datacenter.gPerKWh',
  ],
  datacenterEmbodied: [
    'datacenter.embodiedKg',
    'datacenter.energyJ',
    'datacenter.powerW',
    'datacenter.lifetimeYears',
    'datacenter.utilization',
  ],
  deviceEmbodied: ['offloadDevice.embodiedKg', 'offloadDevice.lifetimeYears', 'network.rttS'],
  training: ['datacenter.trainingJ', 'training.gPerKWh', 'training.fleetInferences'],
};

/** A term is flagged in the warning when it is more than this share of its placement's total. */
export const POINT_VALUE_SHARE = 0.1;

export interface PointValueTerm {
  placement: 'edge' | 'offload';
  term: EdgeTerm | OffloadTerm;
  /** The term's share of its placement's total, at central values. */
  share: number;
  /** The point values it rests on: `id (why)`. */
  restsOn: string[];
}

export interface PointValues {
  terms: PointValueTerm[];
  /** Set when a term resting on a point value is more than 10 % of a total. */
  warning: string | null;
}

/** Why a parameter is a point value, or undefined when its range is sourced (or it is a definition). */
export function pointValueOf(resolved: ResolvedScenario, id: ParameterId): string | undefined {
  const value = resolved.values[id];
  if (value.origin === 'not-needed' || value.origin === 'default') return undefined;
  if (value.pointValue !== undefined) return `${id}: ${value.pointValue}`;
  if (value.origin === 'scenario' && isConstant(value)) return `${id}: a single number in the scenario`;
  return undefined;
}

/**
 * The terms that rest on a point value, with their share of the total at central values (a term
 * that is 0 there, not charged in this scenario, is left out).
 */
export function pointValueTerms(
  resolved: ResolvedScenario,
  central: { edge: Record<EdgeTerm, number>; offload: Record<OffloadTerm, number> },
): PointValues {
  const terms: PointValueTerm[] = [];
  const scan = <T extends string>(
    placement: 'edge' | 'offload',
    inputs: Record<T, readonly ParameterId[]>,
    values: Record<T, number>,
  ) => {
    const total = Object.values<number>(values).reduce((a, b) => a + b, 0);
    for (const term of Object.keys(inputs) as T[]) {
      const value = values[term];
      if (!(value > 0)) continue;
      const restsOn = inputs[term]
        .map((id) => pointValueOf(resolved, id))
        .filter((why): why is string => why !== undefined);
      if (restsOn.length > 0)
        terms.push({ placement, term: term as EdgeTerm | OffloadTerm, share: value / total, restsOn });
    }
  };
  scan('edge', EDGE_TERM_INPUTS, central.edge);
  scan('offload', OFFLOAD_TERM_INPUTS, central.offload);
  const large = terms.filter((t) => t.share > POINT_VALUE_SHARE);
  const warning =
    large.length === 0
      ? null
      : `rests on point values (no sourced range): ${large
          .map(
            (t) =>
              `${t.placement}.${t.term} is ${(t.share * 100).toFixed(0)} % of the ${t.placement} total and rests on ${[...new Set(t.restsOn.map((r) => r.split(':')[0]))].join(', ')}`,
          )
          .join(
            '; ',
          )}; its spread there is a default or none, so this probability is less certain than it looks`;
  return { terms, warning };
}
