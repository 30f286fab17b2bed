// Turns a validated scenario into one uncertain value per model parameter, each with its origin:
// the scenario's own value wins, then measured data from the store (device energy, latency,
// accuracy), then the profile, then (for the offload device) the edge device's value. A value the
// model needs and nobody supplies is an error naming the field and why the profile has none.

import { coverageFactor, describeCoverage, triangularSigma } from './coverage.js';
import { DEFAULT_SPREAD } from './factors.js';
import type { Measurement, MeasurementQuery } from './measured.js';
import { normalAround } from './measured.js';
import { type ModelOptions, PARAMETERS, type ParameterId } from './model.js';
import type { TrainingEnergySource } from './model-energy.js';
import type { NumericInput } from './numeric.js';
import { BOARDS, GRID_REGIONS, LINKS, lookup, PUE_CLASSES, SERVERS } from './profiles/index.js';
import { type OffloadSide, offloadSide } from './resolve-offload.js';
import { lognormalWarning } from './sample.js';
import { type Scenario, ScenarioError } from './scenario.js';
import { fixed, isUnsourced, type ProfileValue, type Uncertain } from './uncertain.js';

/**
 * `store-estimate`: read from the store, but the records' energy came from a simulated sensor.
 * `manifest`: a model's training energy from its manifest (model-energy.ts).
 */
export type Origin =
  | 'scenario'
  | 'measured'
  | 'store-estimate'
  | 'profile'
  | 'inherited'
  | 'default'
  | 'manifest'
  | 'not-needed';

export interface ResolvedValue extends Uncertain {
  origin: Origin;
  /** The profile (or class, region) the value came from. */
  profile?: string;
}

export interface ResolvedScenario {
  scenario: Scenario;
  options: ModelOptions;
  values: Record<ParameterId, ResolvedValue>;
  /** Parameters that are the very same quantity as another (offload device = edge device). */
  aliases: Partial<Record<ParameterId, ParameterId>>;
  measurement: Measurement | null;
  hasAccuracy: boolean;
  /** What the reader must know about the inputs: a lognormal central off its range, idle not charged... */
  warnings: string[];
}

export type MeasurementSource = (query: MeasurementQuery) => Measurement;

type Candidate = [Origin, ProfileValue | undefined, string?];

export function toUncertain(input: NumericInput): Uncertain {
  if (typeof input === 'number')
    return { central: input, low: input, high: input, distribution: 'fixed', source: 'scenario' };
  const low = input.low ?? input.central;
  const high = input.high ?? input.central;
  const spread = low !== input.central || high !== input.central;
  return {
    central: input.central,
    low,
    high,
    distribution: input.distribution ?? (spread ? 'triangular' : 'fixed'),
    source: 'scenario',
  };
}

const given = (input: NumericInput | undefined): Uncertain | undefined =>
  input === undefined ? undefined : toUncertain(input);

export function resolveScenario(
  scenario: Scenario,
  source?: MeasurementSource,
  models?: TrainingEnergySource,
): ResolvedScenario {
  const problems: string[] = [];
  const warnings: string[] = [];
  const { device, network, datacenter, workload, training } = scenario;
  const options: ModelOptions = {
    allocation: scenario.allocation,
    energyBasis: scenario.energyBasis,
    radioTail: network.tailW !== undefined,
    training: training !== undefined,
  };
  const gross = options.energyBasis === 'gross';
  const time = options.allocation === 'time';
  /** Round 2: a dedicated board draws its idle power between inferences too, when energy is gross. */
  const idleCharged = !time && gross;
  const values = {} as Record<ParameterId, ResolvedValue>;

  /** needed: true = an error if missing; false = optional (accuracy); 'unused' = the model ignores it here. */
  const pick = (id: ParameterId, needed: boolean | 'unused', candidates: Candidate[]): void => {
    const reasons: string[] = [];
    if (needed === 'unused') candidates = [];
    for (const [origin, value, profile] of candidates) {
      if (value === undefined) continue;
      if (isUnsourced(value)) {
        reasons.push(`${profile ?? 'profile'}: ${value.unsourced}`);
        continue;
      }
      values[id] = { ...value, origin, ...(profile === undefined ? {} : { profile }) };
      return;
    }
    values[id] = {
      central: Number.NaN,
      low: Number.NaN,
      high: Number.NaN,
      distribution: 'fixed',
      source: '',
      origin: 'not-needed',
    };
    if (needed === true) {
      const section = id.split('.')[0];
      const why = reasons.length > 0 ? ` (${reasons.join('; ')})` : ` (no ${section} profile value for it)`;
      problems.push(`${id}: no value${why}; give ${id} in the scenario`);
    }
  };

  let measurement: Measurement | null = null;
  if (device.measured !== undefined) {
    if (source === undefined) {
      problems.push(
        'device.measured: no store to read measurements from; pass --store (CLI) or start the API with one',
      );
    } else {
      measurement = source(device.measured);
    }
  }
  const board = device.profile === undefined ? undefined : lookup(BOARDS, device.profile, 'device.profile');
  const link = network.profile === undefined ? undefined : lookup(LINKS, network.profile, 'network.profile');
  // A link profile with a radio tail power caps the request overhead too (lte: issue 13).
  const profileTail = link?.tailW === undefined || isUnsourced(link.tailW) ? undefined : link.tailW;
  options.radioTail = network.tailW !== undefined || profileTail !== undefined;
  if (measurement?.offload != null) options.radioTail = false;
  const server =
    datacenter.profile === undefined ? undefined : lookup(SERVERS, datacenter.profile, 'datacenter.profile');
  const region = (id: string | undefined): ProfileValue | undefined =>
    id === undefined ? undefined : lookup(GRID_REGIONS, id, 'region').gPerKWh;
  const measuredFrom =
    measurement === null
      ? ''
      : `store: ${measurement.records} records of ${measurement.device} / ${measurement.modelId.slice(0, 12)}${measurement.skippedFirst === undefined ? '' : ` after skipping its first ${measurement.skippedFirst}`}, energy ${measurement.energyProvenance} (${measurement.sensors.join(', ')})`;

  // Offload records of the same device and model: the offload side from the store too.
  const o: OffloadSide | undefined =
    measurement?.offload == null ? undefined : offloadSide(measurement.offload, gross, warnings);
  if (o !== undefined) {
    options.measuredOffload = true;
    // The measured window holds whatever the radio did after the request: no modelled tail cap.
    options.radioTail = false;
  }

  pick('workload.inferencesPerDay', true, [['scenario', given(workload.inferencesPerDay)]]);
  pick('workload.inputBytes', true, [
    ['scenario', given(workload.inputBytes)],
    o?.inputBytes ?? ['measured', undefined],
  ]);
  pick('workload.outputBytes', true, [
    ['scenario', given(workload.outputBytes)],
    o?.outputBytes ?? ['measured', undefined],
  ]);

  pick('device.gPerKWh', true, [
    ['scenario', given(device.gPerKWh)],
    ['profile', region(device.region), device.region],
  ]);
  const m = measurement;
  const energy = m === null ? undefined : gross ? m.energyJ : m.marginalEnergyJ;
  const coverage = m === null || m.coverage === 'unknown' ? undefined : coverageFactor(m.coverage);
  // Scaled to the board's input: mean × c, σ from both in quadrature (σ_c of the triangular range).
  const coverageC = coverage?.central ?? 1;
  const coverageSigma =
    coverage === undefined ? 0 : triangularSigma(coverage.low, coverage.central, coverage.high);
  const coverageNote =
    m === null
      ? ''
      : coverage === undefined
        ? `; sensor coverage ${describeCoverage(m.coverage)}${m.coverage === 'unknown' ? ', taken as the board input' : ''}`
        : `; × coverage factor ${coverage.central} (${coverage.low}–${coverage.high}, ${coverage.source ?? coverage.assumption ?? 'unsourced'}) for ${describeCoverage(m.coverage)}`;
  pick('device.energyJ', true, [
    ['scenario', given(device.energyJ)],
    [
      m?.energyProvenance === 'measured' ? 'measured' : 'store-estimate',
      energy === undefined || m === null
        ? undefined
        : normalAround(
            energy.mean * coverageC,
            Math.hypot(
              Math.hypot(
                energy.standardError,
                m.energyJ.sensorUncertaintyJ,
                gross ? 0 : m.marginalEnergyJ.baselineUncertaintyJ,
              ) * coverageC,
              energy.mean * coverageSigma,
            ),
            measuredFrom,
            `${gross ? 'gross' : 'above-idle'} energy: mean ± √(SE² + sensor uncertainty²${gross ? '' : ' + baseline uncertainty²'}), n = ${m.records}${m.windows === m.records ? '' : ` records in ${m.windows} windows (SE over windows)`}${coverageNote}`,
          ),
    ],
  ]);
  pick('device.latencyS', time || (idleCharged ? false : 'unused'), [
    ['scenario', given(device.latencyS)],
    [
      'measured',
      m === null
        ? undefined
        : normalAround(m.latencyS.mean, m.latencyS.standardError, measuredFrom, 'mean duration ± SE'),
    ],
  ]);
  if (idleCharged && values['device.latencyS'].origin === 'not-needed') {
    values['device.latencyS'] = {
      ...fixed(
        0,
        'default',
        'not given: the idle gap is charged from the start of each inference, which overstates edge.idle by idleW × latency',
      ),
      origin: 'default',
    };
  }
  const ownOffload = scenario.offloadDevice !== undefined;
  pick('device.idleW', (gross && (!ownOffload || idleCharged)) || 'unused', [
    ['scenario', given(device.idleW)],
    ['profile', board?.idleW, board?.id],
  ]);
  pick('device.embodiedKg', true, [
    ['scenario', given(device.embodiedKg)],
    ['profile', board?.embodiedKg, board?.id],
  ]);
  pick('device.lifetimeYears', true, [
    ['scenario', given(device.lifetimeYears)],
    ['profile', board?.lifetimeYears, board?.id],
  ]);
  pick('device.accuracy', false, [
    ['scenario', given(device.accuracy)],
    [
      'measured',
      m?.accuracy == null
        ? undefined
        : normalAround(
            m.accuracy.mean,
            m.accuracy.standardError,
            measuredFrom,
            `share correct of ${m.accuracy.labelled} labelled records ± SE`,
            { min: 1e-9, max: 1 },
          ),
    ],
  ]);

  const byDefault = (id: ParameterId, value: number, note: string) => {
    if (values[id].origin === 'not-needed')
      values[id] = { ...fixed(value, 'default', note), origin: 'default' };
  };
  pick('device.psuEfficiency', false, [['scenario', given(device.psuEfficiency)]]);
  byDefault(
    'device.psuEfficiency',
    1,
    'not given: the board energy is taken as wall energy (no power-supply loss)',
  );
  /** trainingJ from the manifest of the model a scenario names (device.measured's model too, softly). */
  const fromManifest = (field: string, named: string | undefined, soft: string | undefined) => {
    const model = named ?? soft;
    if (!options.training || model === undefined) return undefined;
    if (models === undefined) {
      if (named !== undefined)
        problems.push(
          `${field}: no model folder to read its manifest from; pass --models <dir> (compare), or give trainingJ`,
        );
      return undefined;
    }
    const found = models(model);
    if ('value' in found) return found.value;
    if (named !== undefined) problems.push(`${field}: ${found.problem}`);
    else warnings.push(`training energy of the measured model not charged: ${found.problem}`);
    return undefined;
  };
  pick('device.trainingJ', options.training ? false : 'unused', [
    ['scenario', given(device.trainingJ)],
    [
      'manifest',
      device.trainingJ === undefined
        ? fromManifest('device.model', device.model, device.measured?.model)
        : undefined,
    ],
  ]);
  if (options.training)
    byDefault('device.trainingJ', 0, 'not given: the training of the edge model is not charged');

  const aliases: Partial<Record<ParameterId, ParameterId>> = {};
  const off = scenario.offloadDevice;
  if (off === undefined) {
    aliases['offloadDevice.idleW'] = 'device.idleW';
    aliases['offloadDevice.embodiedKg'] = 'device.embodiedKg';
    aliases['offloadDevice.lifetimeYears'] = 'device.lifetimeYears';
    for (const [alias, of] of Object.entries(aliases) as [ParameterId, ParameterId][]) {
      values[alias] = { ...values[of], origin: values[of].origin, note: `the edge device itself (${of})` };
    }
  } else {
    const offBoard =
      off.profile === undefined ? undefined : lookup(BOARDS, off.profile, 'offloadDevice.profile');
    const inherit = (id: ParameterId): Candidate => [
      'inherited',
      values[id].origin === 'not-needed' ? undefined : { ...values[id], note: `inherited from ${id}` },
    ];
    pick('offloadDevice.idleW', gross || 'unused', [
      ['scenario', given(off.idleW)],
      ['profile', offBoard?.idleW, offBoard?.id],
      // device.idleW itself is not resolved when another device offloads: take its sources directly.
      [
        'inherited',
        device.idleW !== undefined ? given(device.idleW) : board?.idleW,
        board === undefined || device.idleW !== undefined ? undefined : board.id,
      ],
    ]);
    pick('offloadDevice.embodiedKg', true, [
      ['scenario', given(off.embodiedKg)],
      ['profile', offBoard?.embodiedKg, offBoard?.id],
      inherit('device.embodiedKg'),
    ]);
    pick('offloadDevice.lifetimeYears', true, [
      ['scenario', given(off.lifetimeYears)],
      ['profile', offBoard?.lifetimeYears, offBoard?.id],
      inherit('device.lifetimeYears'),
    ]);
  }

  // Measured offload: the device's energy over the request window is the whole radio cost (its
  // uplink and downlink included), so the per-bit radio model is zero and the scenario's own
  // radio values would be charged on top of it: they are not used (said in a warning).
  const radioFromStore = (id: ParameterId, value: NumericInput | undefined): Candidate[] => {
    if (o === undefined) return [['scenario', given(value)]];
    if (value !== undefined)
      warnings.push(
        `${id} = ${JSON.stringify(value)} is not used: the store measured the device's energy per offloaded request`,
      );
    return [];
  };
  pick('network.uplinkUJPerBit', true, [
    ...radioFromStore('network.uplinkUJPerBit', network.uplinkUJPerBit),
    o?.radioPerBit ?? ['measured', undefined],
    ['profile', link?.uplinkUJPerBit, link?.id],
  ]);
  pick('network.downlinkUJPerBit', true, [
    ...radioFromStore('network.downlinkUJPerBit', network.downlinkUJPerBit),
    o?.radioPerBit ?? ['measured', undefined],
    ['profile', link?.downlinkUJPerBit, link?.id],
  ]);
  pick('network.requestOverheadJ', true, [
    ...radioFromStore('network.requestOverheadJ', network.requestOverheadJ),
    o?.deviceEnergyJ ?? ['measured', undefined],
    ['profile', link?.requestOverheadJ, link?.id],
  ]);
  pick('network.kWhPerGB', true, [
    ['scenario', given(network.kWhPerGB)],
    [
      'profile',
      link?.kWhPerGB[network.model],
      link === undefined ? undefined : `${link.id} (${network.model})`,
    ],
  ]);
  pick('network.rttS', gross || time || 'unused', [
    ['scenario', given(network.rttS)],
    o?.rttS ?? ['measured', undefined],
    ['profile', link?.rttS, link?.id],
  ]);

  pick('datacenter.gPerKWh', true, [
    ['scenario', given(datacenter.gPerKWh)],
    ['profile', region(datacenter.region), datacenter.region],
    o?.serverRegion === undefined
      ? ['profile', undefined]
      : ['profile', region(o.serverRegion), `${o.serverRegion} (the region the server states)`],
  ]);
  const pueClass = (id: string) => lookup(PUE_CLASSES, id, 'datacenter.pue').pue;
  pick('datacenter.pue', true, [
    typeof datacenter.pue === 'string'
      ? ['profile', pueClass(datacenter.pue), `PUE class ${datacenter.pue}`]
      : ['scenario', given(datacenter.pue)],
    o?.serverPueClass === undefined
      ? ['profile', undefined]
      : [
          'profile',
          pueClass(o.serverPueClass),
          `PUE class ${o.serverPueClass} (the class the server states)`,
        ],
    [
      'profile',
      server === undefined ? undefined : pueClass(server.pueClass),
      server === undefined ? undefined : `PUE class ${server.pueClass} (default of ${server.id})`,
    ],
    ['default', pueClass('industry-average'), 'PUE class industry-average (default)'],
  ]);
  pick('datacenter.energyJ', true, [
    ['scenario', given(datacenter.energyJ)],
    o?.serverEnergyJ ?? ['measured', undefined],
  ]);
  pick('datacenter.powerW', true, [
    ['scenario', given(datacenter.powerW)],
    ['profile', server?.powerW, server?.id],
  ]);
  pick('datacenter.embodiedKg', true, [
    ['scenario', given(datacenter.embodiedKg)],
    ['profile', server?.embodiedKg, server?.id],
  ]);
  pick('datacenter.lifetimeYears', true, [
    ['scenario', given(datacenter.lifetimeYears)],
    ['profile', server?.lifetimeYears, server?.id],
  ]);
  pick('datacenter.utilization', true, [
    ['scenario', given(datacenter.utilization)],
    ['profile', server?.utilization, server?.id],
  ]);
  pick('datacenter.accuracy', false, [
    ['scenario', given(datacenter.accuracy)],
    o?.accuracy ?? ['measured', undefined],
  ]);
  pick('datacenter.idleW', gross ? false : 'unused', [
    ['scenario', given(datacenter.idleW)],
    ['profile', server?.idleW, server?.id],
  ]);
  if (gross)
    byDefault('datacenter.idleW', 0, "not given: the server's idle time between requests is not charged");
  pick('datacenter.trainingJ', options.training ? false : 'unused', [
    ['scenario', given(datacenter.trainingJ)],
    [
      'manifest',
      datacenter.trainingJ === undefined
        ? fromManifest('datacenter.model', datacenter.model, undefined)
        : undefined,
    ],
  ]);
  if (options.training)
    byDefault('datacenter.trainingJ', 0, 'not given: the training of the datacenter model is not charged');
  pick('network.tailW', options.radioTail === true ? true : 'unused', [
    ['scenario', given(network.tailW)],
    ['profile', profileTail, link?.id],
  ]);
  const trainingGrid = training?.gPerKWh !== undefined || training?.region !== undefined;
  if (options.training && !trainingGrid)
    problems.push('training: give region or gPerKWh, the grid where the models were trained');
  pick('training.gPerKWh', options.training ? trainingGrid : 'unused', [
    ['scenario', given(training?.gPerKWh)],
    ['profile', region(training?.region), training?.region],
  ]);
  pick('training.fleetInferences', options.training || 'unused', [
    ['scenario', given(training?.fleetInferences)],
  ]);

  if (o !== undefined) {
    // The scenario's own value wins, as everywhere; say which store values it overrode.
    const overridden: [ParameterId, [unknown, { central: number }, string]][] = [
      ['workload.inputBytes', o.inputBytes],
      ['workload.outputBytes', o.outputBytes],
      ['network.rttS', o.rttS],
      ['datacenter.energyJ', o.serverEnergyJ],
    ];
    for (const [id, [, value, from]] of overridden)
      if (values[id].origin === 'scenario')
        warnings.push(
          `${id} is given in the scenario (${values[id].central}), so the store's ${value.central.toPrecision(4)} from ${from} is not used`,
        );
  }
  if (device.region !== undefined && device.gPerKWh !== undefined)
    problems.push('device: give region or gPerKWh, not both');
  if (datacenter.region !== undefined && datacenter.gPerKWh !== undefined)
    problems.push('datacenter: give region or gPerKWh, not both');
  if (training?.region !== undefined && training.gPerKWh !== undefined)
    problems.push('training: give region or gPerKWh, not both');
  if (problems.length > 0) {
    throw new ScenarioError(
      `scenario: ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join('\n')}`,
      problems,
    );
  }
  for (const id of PARAMETERS)
    if (values[id] === undefined) throw new Error(`internal: ${id} was not resolved`);
  if (!time && !gross)
    warnings.push(
      'allocation `dedicated` with energyBasis `marginal`: idle power is not charged (neither between inferences nor while waiting for an answer), although a dedicated board draws it all day; use `gross` to charge it',
    );
  if (!options.training && (device.model !== undefined || datacenter.model !== undefined))
    warnings.push(
      'a model is named but there is no `training` block (gPerKWh or region, fleetInferences): its training energy is not charged',
    );
  if (!options.training && (device.trainingJ !== undefined || datacenter.trainingJ !== undefined))
    warnings.push(
      'trainingJ is given but there is no `training` block (gPerKWh or region, fleetInferences): training is not charged',
    );
  for (const id of PARAMETERS) {
    const warning = aliases[id] === undefined ? lognormalWarning(id, values[id]) : undefined;
    if (warning !== undefined) warnings.push(warning);
  }
  const defaults = PARAMETERS.filter(
    (id) => aliases[id] === undefined && values[id].pointValue !== undefined,
  );
  if (defaults.length > 0)
    warnings.push(
      `default spread ×/÷${DEFAULT_SPREAD.factor} (no sourced range; see factors.json defaultSpread) on: ${defaults.map((id) => `${id} = ${values[id].pointValue}`).join(', ')}`,
    );
  const hasAccuracy =
    values['device.accuracy'].origin !== 'not-needed' &&
    values['datacenter.accuracy'].origin !== 'not-needed';
  return { scenario, options, values, aliases, measurement, hasAccuracy, warnings };
}
