// The life-cycle model, term by term, in grams CO2e per inference (formulas of issues 4 and 13,
// round 2, and docs/methodology.md). Evaluated over typed arrays: index i is one Monte Carlo draw of
// every parameter, so both placements see the same draws; a single draw of central values is the
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
  'device.psuEfficiency',
  'device.trainingJ',
  'offloadDevice.idleW',
  'offloadDevice.embodiedKg',
  'offloadDevice.lifetimeYears',
  'network.uplinkUJPerBit',
  'network.downlinkUJPerBit',
  'network.requestOverheadJ',
  'network.kWhPerGB',
  'network.rttS',
  'network.tailW',
  'datacenter.gPerKWh',
  'datacenter.pue',
  'datacenter.energyJ',
  'datacenter.powerW',
  'datacenter.embodiedKg',
  'datacenter.lifetimeYears',
  'datacenter.utilization',
  'datacenter.accuracy',
  'datacenter.idleW',
  'datacenter.trainingJ',
  'training.gPerKWh',
  'training.fleetInferences',
] as const;

export type ParameterId = (typeof PARAMETERS)[number];
export type ParameterArrays = Record<ParameterId, Float64Array>;

export type Allocation = 'dedicated' | 'time';
export type EnergyBasis = 'gross' | 'marginal';

export interface ModelOptions {
  allocation: Allocation;
  energyBasis: EnergyBasis;
  /** `network.tailW` is given: the request overhead is capped at tailW × T (round 2). */
  radioTail?: boolean;
  /** A `training` block is given: the training terms are charged (round 2). */
  training?: boolean;
  /**
   * The device's energy while offloading is measured over the whole request window (offload
   * records): `network.requestOverheadJ` holds it (gross or above idle, as the energy basis), so
   * the waiting is not charged again from idle power × round trip, and the radio is not modelled.
   */
  measuredOffload?: boolean;
}

export const EDGE_TERMS = ['operational', 'idle', 'embodied', 'training'] as const;
export const OFFLOAD_TERMS = [
  'deviceRadio',
  'deviceWait',
  'deviceIdle',
  'network',
  'datacenter',
  'datacenterEmbodied',
  'deviceEmbodied',
  'training',
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
    edge: { operational: make(), idle: make(), embodied: make(), training: make() },
    offload: {
      deviceRadio: make(),
      deviceWait: make(),
      deviceIdle: make(),
      network: make(),
      datacenter: make(),
      datacenterEmbodied: make(),
      deviceEmbodied: make(),
      training: make(),
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
  // Under `dedicated` + `gross` the board is on all day for this workload: the gaps between
  // inferences are charged too (round 1 charged only the inference window, issue 13).
  const idleCharged = dedicated && gross;
  const radioTail = options.radioTail === true;
  const training = options.training === true;
  const measuredOffload = options.measuredOffload === true;
  const lifeS = DAYS_PER_YEAR * SECONDS_PER_DAY;
  const perDay = p['workload.inferencesPerDay'];
  const inB = p['workload.inputBytes'];
  const outB = p['workload.outputBytes'];
  const ciDevice = p['device.gPerKWh'];
  const devE = p['device.energyJ'];
  const devLatency = p['device.latencyS'];
  const devIdle = p['device.idleW'];
  const devEmb = p['device.embodiedKg'];
  const devLife = p['device.lifetimeYears'];
  const psu = p['device.psuEfficiency'];
  const devTrainJ = p['device.trainingJ'];
  const offIdle = p['offloadDevice.idleW'];
  const offEmb = p['offloadDevice.embodiedKg'];
  const offLife = p['offloadDevice.lifetimeYears'];
  const up = p['network.uplinkUJPerBit'];
  const down = p['network.downlinkUJPerBit'];
  const overheadJ = p['network.requestOverheadJ'];
  const kWhPerGB = p['network.kWhPerGB'];
  const rtt = p['network.rttS'];
  const tailW = p['network.tailW'];
  const ciDc = p['datacenter.gPerKWh'];
  const pue = p['datacenter.pue'];
  const dcE = p['datacenter.energyJ'];
  const dcP = p['datacenter.powerW'];
  const dcIdle = p['datacenter.idleW'];
  const dcEmb = p['datacenter.embodiedKg'];
  const dcLife = p['datacenter.lifetimeYears'];
  const util = p['datacenter.utilization'];
  const dcTrainJ = p['datacenter.trainingJ'];
  const ciTrain = p['training.gPerKWh'];
  const fleet = p['training.fleetInferences'];
  const { edge, offload, edgeTotal, offloadTotal } = out;
  for (let i = 0; i < n; i++) {
    const ciD = ciDevice[i] as number;
    const inBytes = inB[i] as number;
    const outBytes = outB[i] as number;
    const rate = perDay[i] as number;
    const rttS = rtt[i] as number;
    /** Seconds between inferences. */
    const gapS = SECONDS_PER_DAY / rate;
    /** g per J at the device's wall: board energy ÷ PSU efficiency. */
    const kDev = ciD / J_PER_KWH / (psu[i] as number);
    const shareDevice = dedicated
      ? 1 / (rate * DAYS_PER_YEAR * (devLife[i] as number))
      : (devLatency[i] as number) / ((devLife[i] as number) * lifeS);
    const shareOffload = dedicated
      ? 1 / (rate * DAYS_PER_YEAR * (offLife[i] as number))
      : rttS / ((offLife[i] as number) * lifeS);
    const trainingPerJ = training ? (ciTrain[i] as number) / J_PER_KWH / (fleet[i] as number) : 0;
    const operational = (devE[i] as number) * kDev;
    const idle = idleCharged
      ? (devIdle[i] as number) * Math.max(0, gapS - (devLatency[i] as number)) * kDev
      : 0;
    const embodied = (devEmb[i] as number) * 1000 * shareDevice;
    const edgeTraining = training ? (devTrainJ[i] as number) * trainingPerJ : 0;
    // The radio cannot linger after a request longer than the gap before the next one.
    const overhead = radioTail
      ? Math.min(overheadJ[i] as number, (tailW[i] as number) * gapS)
      : (overheadJ[i] as number);
    const radio =
      ((8 * inBytes * (up[i] as number) + 8 * outBytes * (down[i] as number)) * 1e-6 + overhead) * kDev;
    const wait = gross && !measuredOffload ? (offIdle[i] as number) * rttS * kDev : 0;
    const deviceIdle = idleCharged ? (offIdle[i] as number) * Math.max(0, gapS - rttS) * kDev : 0;
    const network = ((inBytes + outBytes) / 1e9) * (kWhPerGB[i] as number) * ciD;
    const dcEnergyJ = dcE[i] as number;
    const u = util[i] as number;
    // The server idles (1 − u) of its life; that idle energy is carried by its busy time.
    const dcIdleJ = gross ? ((dcIdle[i] as number) * (dcEnergyJ / (dcP[i] as number)) * (1 - u)) / u : 0;
    const dc = ((dcEnergyJ + dcIdleJ) * (pue[i] as number) * (ciDc[i] as number)) / J_PER_KWH;
    const dcEmbodied =
      ((dcEmb[i] as number) * 1000 * (dcEnergyJ / (dcP[i] as number))) / ((dcLife[i] as number) * lifeS * u);
    const deviceEmbodied = (offEmb[i] as number) * 1000 * shareOffload;
    const offloadTraining = training ? (dcTrainJ[i] as number) * trainingPerJ : 0;
    const o = offset + i;
    edge.operational[o] = operational;
    edge.idle[o] = idle;
    edge.embodied[o] = embodied;
    edge.training[o] = edgeTraining;
    offload.deviceRadio[o] = radio;
    offload.deviceWait[o] = wait;
    offload.deviceIdle[o] = deviceIdle;
    offload.network[o] = network;
    offload.datacenter[o] = dc;
    offload.datacenterEmbodied[o] = dcEmbodied;
    offload.deviceEmbodied[o] = deviceEmbodied;
    offload.training[o] = offloadTraining;
    edgeTotal[o] = operational + idle + embodied + edgeTraining;
    offloadTotal[o] =
      radio + wait + deviceIdle + network + dc + dcEmbodied + deviceEmbodied + offloadTraining;
  }
  return out;
}

/**
 * The rates (inferences/day) where a term of draw i has a kink: T = device.latencyS and T = rttS
 * (the idle terms start), tailW × T = requestOverheadJ (the radio cap starts). Between two kinks
 * every term is a + b / rate, so edge − offload is monotone there and crosses zero at most once.
 * Written into `out` (at most MAX_KINKS, finite and positive only, unsorted); returns how many.
 */
export function rateKinksInto(
  p: ParameterArrays,
  i: number,
  options: ModelOptions,
  out: Float64Array,
): number {
  let count = 0;
  const push = (rate: number) => {
    if (Number.isFinite(rate) && rate > 0) out[count++] = rate;
  };
  if (options.allocation === 'dedicated' && options.energyBasis === 'gross') {
    push(SECONDS_PER_DAY / (p['device.latencyS'][i] as number));
    push(SECONDS_PER_DAY / (p['network.rttS'][i] as number));
  }
  if (options.radioTail === true) {
    push(
      (SECONDS_PER_DAY * (p['network.tailW'][i] as number)) / (p['network.requestOverheadJ'][i] as number),
    );
  }
  return count;
}

export const MAX_KINKS = 3;

export function rateKinks(p: ParameterArrays, i: number, options: ModelOptions): number[] {
  const out = new Float64Array(MAX_KINKS);
  return [...out.subarray(0, rateKinksInto(p, i, options, out))];
}
