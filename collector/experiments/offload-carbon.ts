// An offload arm's carbon with its MEASURED offload values: the scenario's offload terms (bytes,
// round trip, radio energy, the server's energy per request, and the server's grid region and PUE
// class where it states ones the factor tables know) give way to the arm's offload records, which
// the life-cycle engine takes exactly as `compare` does with measured offload (lifecycle/
// resolve-offload.ts): the device's energy over the request window, socket bytes × the network's
// kWh/GB model, the server's energy per request with its provenance, the round trip.

import type { Comparison, Measurement } from '../lifecycle/index.js';
import type { OffloadMeasurement } from '../lifecycle/measured-offload.js';
import { GRID_REGIONS, PUE_CLASSES } from '../lifecycle/profiles/index.js';
import type { AnalysisResult } from './analysis-result.js';

type Section = Record<string, unknown>;

const without = (section: unknown, keys: readonly string[]): Section =>
  Object.fromEntries(Object.entries((section ?? {}) as Section).filter(([k]) => !keys.includes(k)));

const oneKnown = (ids: readonly string[], known: readonly { id: string }[]): boolean =>
  ids.length === 1 && known.some((k) => k.id === ids[0]);

/**
 * The scenario (as its input object) with the offload terms the records measure left out, and the
 * measurement the engine reads them from. The board that offloaded is the experiment's: the
 * scenario's `offloadDevice` (another board doing the offloading) is dropped. The edge side of
 * this comparison is not reported for an offload arm; its device values stay the scenario's.
 */
export function withMeasuredOffload(
  scenario: Section,
  offload: OffloadMeasurement,
  meanLatencyS: number | null,
): { scenario: Section; source: () => Measurement } {
  const { offloadDevice: _, ...rest } = scenario;
  const stated = [
    ...(oneKnown(offload.serverRegions, GRID_REGIONS) ? ['region', 'gPerKWh'] : []),
    ...(oneKnown(offload.serverPueClasses, PUE_CLASSES) ? ['pue'] : []),
  ];
  const device = {
    ...(scenario.device as Section),
    measured: { device: offload.device || 'experiment boards', model: offload.modelId },
  };
  // Only its `offload` is read: device.energyJ, latencyS and accuracy are given in the scenario.
  const measurement: Measurement = {
    fleet: offload.fleet,
    device: offload.device,
    modelId: offload.modelId,
    records: offload.records,
    windows: offload.records,
    energyProvenance: offload.deviceEnergyProvenance,
    sensors: offload.sensors,
    coverage: offload.coverage,
    energyJ: { ...offload.deviceEnergyJ },
    marginalEnergyJ: { ...offload.deviceAboveIdleJ, baselineUncertaintyJ: 0 },
    latencyS: { mean: meanLatencyS ?? offload.roundTripS.mean, standardError: 0 },
    accuracy: null,
    offload,
  };
  return {
    scenario: {
      ...rest,
      device,
      workload: without(scenario.workload, ['inputBytes', 'outputBytes']),
      network: without(scenario.network, [
        'rttS',
        'uplinkUJPerBit',
        'downlinkUJPerBit',
        'requestOverheadJ',
        'tailW',
      ]),
      datacenter: without(scenario.datacenter, ['energyJ', ...stated]),
    },
    source: () => measurement,
  };
}

const fmt = (x: number, digits = 3): string => x.toPrecision(digits);

/** Which measured value went where, from the engine's own provenance of the comparison. */
export function measuredOffloadProvenance(
  result: Comparison,
  offload: OffloadMeasurement,
  scenarioName: string,
): string {
  const p = result.provenance;
  const source = (id: keyof typeof p) => p[id]?.profile ?? p[id]?.origin ?? 'unknown';
  const failed = offload.records - offload.answered;
  const accuracy =
    offload.accuracy === null
      ? ''
      : `; the server's answers ${fmt(offload.accuracy.mean * 100)} % right over ${offload.accuracy.labelled} labelled requests (feedback)`;
  return [
    `life-cycle engine, scenario "${scenarioName}" (offload), with the arm's MEASURED offload values`,
    ` (${offload.answered} answered of ${offload.records} offload records, boards ${offload.device}):`,
    ` device energy over the request window ${fmt(offload.deviceEnergyJ.mean)} J (${source('network.requestOverheadJ')}),`,
    ` round trip ${fmt(offload.roundTripS.mean * 1000)} ms,`,
    ` socket bytes ${offload.socketBytesSent.mean.toFixed(0)} sent / ${offload.socketBytesReceived.mean.toFixed(0)} received × network kWh/GB (${source('network.kWhPerGB')}),`,
    ` server energy ${fmt(offload.serverEnergyJ.mean)} J per request (${source('datacenter.energyJ')}),`,
    ` grid ${source('datacenter.gPerKWh')}, ${source('datacenter.pue')};`,
    ' the offloading device is the experiment board',
    failed > 0
      ? `; ${failed} failed request(s) are in the arm's energy but not in its carbon (an answered request's cost)`
      : '',
    accuracy,
    '; carbon intervals are the Monte Carlo 5th–95th percentiles',
  ].join('');
}

/** The arm's measured offload values as the analysis result shows them. */
export function measuredOffloadSummary(
  o: OffloadMeasurement,
): NonNullable<AnalysisResult['arms'][number]['measuredOffload']> {
  return {
    records: o.records,
    answered: o.answered,
    deviceEnergyJ: o.deviceEnergyJ.mean,
    deviceEnergyProvenance: o.deviceEnergyProvenance,
    sensors: o.sensors,
    roundTripMs: o.roundTripS.mean * 1000,
    socketBytesSent: o.socketBytesSent.mean,
    socketBytesReceived: o.socketBytesReceived.mean,
    serverEnergyJ: o.serverEnergyJ.mean,
    serverEnergyProvenance: o.serverEnergyProvenance,
    servers: o.servers,
    serverRegions: o.serverRegions,
    serverPueClasses: o.serverPueClasses,
    accuracy: o.accuracy?.mean ?? null,
    labelled: o.accuracy?.labelled ?? 0,
  };
}

/**
 * The offload terms an arm's carbon takes from the scenario when its offload records cannot be
 * taken as measured values: exactly those `withMeasuredOffload` would have replaced (bytes, round
 * trip, radio energy, the offloading device, the server's energy per request, grid and PUE), each
 * with its value and where it came from, from the engine's own provenance of the comparison.
 */
export function assumedOffloadTerms(result: Comparison): string[] {
  const p = result.provenance;
  const term = (id: keyof typeof p, label: string, value: (x: number) => string): string[] => {
    const e = p[id];
    return e === undefined ? [] : [`${label} ${value(e.central)} (${e.profile ?? e.origin})`];
  };
  const j = (x: number) => `${fmt(x)} J`;
  return [
    ...term('workload.inputBytes', 'bytes sent', (x) => `${x.toFixed(0)} B`),
    ...term('workload.outputBytes', 'bytes received', (x) => `${x.toFixed(0)} B`),
    ...term('network.rttS', 'round trip', (x) => `${fmt(x * 1000)} ms`),
    ...term('network.uplinkUJPerBit', 'radio energy sending', (x) => `${fmt(x)} µJ/bit`),
    ...term('network.downlinkUJPerBit', 'radio energy receiving', (x) => `${fmt(x)} µJ/bit`),
    ...term('network.requestOverheadJ', 'radio energy per request', j),
    ...term('network.tailW', 'radio tail power', (x) => `${fmt(x)} W`),
    ...term('offloadDevice.idleW', "the offloading device's idle power while it waits", (x) => `${fmt(x)} W`),
    ...term('offloadDevice.embodiedKg', "the offloading device's embodied carbon", (x) => `${fmt(x)} kgCO₂e`),
    ...term('datacenter.energyJ', "the server's energy per request", j),
    ...term('datacenter.gPerKWh', "the server's grid", (x) => `${fmt(x)} g/kWh`),
    ...term('datacenter.pue', 'PUE', (x) => fmt(x)),
  ];
}

/** Why and what: an arm's offload side on the scenario's terms, as the analysis result shows it. */
export function assumedOffload(
  result: Comparison,
  reason: string,
): NonNullable<AnalysisResult['arms'][number]['assumedOffload']> {
  return { reason, terms: assumedOffloadTerms(result) };
}

/** The provenance of an offload arm (or share) priced on the scenario's offload terms: which, and why. */
export function assumedOffloadProvenance(
  scenarioName: string,
  assumed: NonNullable<AnalysisResult['arms'][number]['assumedOffload']>,
  energyJ: number,
  accuracy: number | null,
): string {
  return [
    `life-cycle engine, scenario "${scenarioName}" (offload), with the scenario's ASSUMED offload terms, not measured values, because ${assumed.reason}:`,
    ` ${assumed.terms.join(', ')}`,
    `; the energy measured in the experiment (${energyJ.toPrecision(4)} J per offloaded inference: the device's, plus the server's where it reported one) is not in this carbon`,
    accuracy === null ? '' : `; accuracy ${accuracy.toFixed(3)} (measured) used`,
    '; carbon intervals are the Monte Carlo 5th–95th percentiles',
  ].join('');
}
