// The life-cycle model, term by term, in grams CO2e per inference (formulas of issue 4 and
// docs/methodology.md). Evaluated over typed arrays: index i is one Monte Carlo draw of every
// parameter, so both placements see the same draws; a single draw of central values is the
// deterministic answer.

export const J_PER_KWH = 3.6e6;
export const DAYS_PER_YEAR = 365;
export const SECONDS_PER_DAY = 86400;

export const PARAMETERS = [
  'workload.inferencesPerDay',
  'workload.inputBytes',
  'workload.outputBytes',
  'device.gPerKWh',
  'device.energyJ',
  'device.latencyS',
  'device.idleW',
  'device.embodiedKg',
  'device.lifetimeYears',
  'device.accuracy',
  'offloadDevice.idleW',
  'offloadDevice.embodiedKg',
  'offloadDevice.lifetimeYears',
  'network.uplinkUJPerBit',
  'network.downlinkUJPerBit',
  'network.requestOverheadJ',
  'network.kWhPerGB',
  'network.rttS',
  'datacenter.gPerKWh',
  'datacenter.pue',
  'datacenter.energyJ',
  'datacenter.powerW',
  'datacenter.embodiedKg',
  'datacenter.lifetimeYears',
  'datacenter.utilization',
  'datacenter.accuracy',
] as const;

export type ParameterId = (typeof PARAMETERS)[number];
export type ParameterArrays = Record<ParameterId, Float64Array>;

export type Allocation = 'dedicated' | 'time';
export type EnergyBasis = 'gross' | 'marginal';

export interface ModelOptions {
  allocation: Allocation;
  energyBasis: EnergyBasis;
}

export const EDGE_TERMS = ['operational', 'embodied'] as const;
export const OFFLOAD_TERMS = [
  'deviceRadio',
  'deviceWait',
  'network',
  'datacenter',
  'datacenterEmbodied',
  'deviceEmbodied',
] as const;
export type EdgeTerm = (typeof EDGE_TERMS)[number];
export type OffloadTerm = (typeof OFFLOAD_TERMS)[number];

export interface TermArrays {
  edge: Record<EdgeTerm, Float64Array>;
  offload: Record<OffloadTerm, Float64Array>;
  edgeTotal: Float64Array;
  offloadTotal: Float64Array;
}

/** Operational carbon of an energy, g: energy (J) → kWh (÷ 3.6e6) × grid intensity (g/kWh). */
export function operationalG(energyJ: number, gPerKWh: number): number {
  return (energyJ * gPerKWh) / J_PER_KWH;
}

/** Linear time allocation of an embodied total: the share of the life the use takes (Boavizta). */
export function linearTimeShare(useS: number, lifetimeS: number): number {
  return useS / lifetimeS;
}

/** Dedicated allocation: the board does only this, so each inference carries 1 / (inferences in its life). */
export function dedicatedShare(inferencesPerDay: number, lifetimeYears: number): number {
  return 1 / (inferencesPerDay * DAYS_PER_YEAR * lifetimeYears);
}

export function allocateTerms(n: number): TermArrays {
  const make = () => new Float64Array(n);
  return {
    edge: { operational: make(), embodied: make() },
    offload: {
      deviceRadio: make(),
      deviceWait: make(),
      network: make(),
      datacenter: make(),
      datacenterEmbodied: make(),
      deviceEmbodied: make(),
    },
    edgeTotal: make(),
    offloadTotal: make(),
  };
}

/**
 * Evaluates every term for parameter draws [0, n), writing results at [offset, offset + n) of `out`
 * (the Monte Carlo runs in blocks). Arrays may be longer than needed.
 */
export function evaluate(
  p: ParameterArrays,
  n: number,
  options: ModelOptions,
  out = allocateTerms(n),
  offset = 0,
) {
  const dedicated = options.allocation === 'dedicated';
  const gross = options.energyBasis === 'gross';
  const lifeS = DAYS_PER_YEAR * SECONDS_PER_DAY;
  const perDay = p['workload.inferencesPerDay'];
  const inB = p['workload.inputBytes'];
  const outB = p['workload.outputBytes'];
  const ciDevice = p['device.gPerKWh'];
  const devE = p['device.energyJ'];
  const devLatency = p['device.latencyS'];
  const devEmb = p['device.embodiedKg'];
  const devLife = p['device.lifetimeYears'];
  const offIdle = p['offloadDevice.idleW'];
  const offEmb = p['offloadDevice.embodiedKg'];
  const offLife = p['offloadDevice.lifetimeYears'];
  const up = p['network.uplinkUJPerBit'];
  const down = p['network.downlinkUJPerBit'];
  const overhead = p['network.requestOverheadJ'];
  const kWhPerGB = p['network.kWhPerGB'];
  const rtt = p['network.rttS'];
  const ciDc = p['datacenter.gPerKWh'];
  const pue = p['datacenter.pue'];
  const dcE = p['datacenter.energyJ'];
  const dcP = p['datacenter.powerW'];
  const dcEmb = p['datacenter.embodiedKg'];
  const dcLife = p['datacenter.lifetimeYears'];
  const util = p['datacenter.utilization'];
  const { edge, offload, edgeTotal, offloadTotal } = out;
  for (let i = 0; i < n; i++) {
    const ciD = ciDevice[i] as number;
    const inBytes = inB[i] as number;
    const outBytes = outB[i] as number;
    const shareDevice = dedicated
      ? 1 / ((perDay[i] as number) * DAYS_PER_YEAR * (devLife[i] as number))
      : (devLatency[i] as number) / ((devLife[i] as number) * lifeS);
    const shareOffload = dedicated
      ? 1 / ((perDay[i] as number) * DAYS_PER_YEAR * (offLife[i] as number))
      : (rtt[i] as number) / ((offLife[i] as number) * lifeS);
    const operational = ((devE[i] as number) * ciD) / J_PER_KWH;
    const embodied = (devEmb[i] as number) * 1000 * shareDevice;
    const radio =
      ((8 * inBytes * (up[i] as number) + 8 * outBytes * (down[i] as number)) * 1e-6 +
        (overhead[i] as number)) *
      (ciD / J_PER_KWH);
    const wait = gross ? ((offIdle[i] as number) * (rtt[i] as number) * ciD) / J_PER_KWH : 0;
    const network = ((inBytes + outBytes) / 1e9) * (kWhPerGB[i] as number) * ciD;
    const dc = ((dcE[i] as number) * (pue[i] as number) * (ciDc[i] as number)) / J_PER_KWH;
    const dcEmbodied =
      ((dcEmb[i] as number) * 1000 * ((dcE[i] as number) / (dcP[i] as number))) /
      ((dcLife[i] as number) * lifeS * (util[i] as number));
    const deviceEmbodied = (offEmb[i] as number) * 1000 * shareOffload;
    const o = offset + i;
    edge.operational[o] = operational;
    edge.embodied[o] = embodied;
    offload.deviceRadio[o] = radio;
    offload.deviceWait[o] = wait;
    offload.network[o] = network;
    offload.datacenter[o] = dc;
    offload.datacenterEmbodied[o] = dcEmbodied;
    offload.deviceEmbodied[o] = deviceEmbodied;
    edgeTotal[o] = operational + embodied;
    offloadTotal[o] = radio + wait + network + dc + dcEmbodied + deviceEmbodied;
  }
  return out;
}
