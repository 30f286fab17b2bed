// Honest intervals (issue 13): a term resting on a point value is marked in JSON and text and, when
// it is over 10 % of a total, P(edge lower) carries a warning; the `lte` profile caps its request
// overhead by its tail power; the low-power cellular link and the re-sourced factors are pinned to
// their sources.

import { describe, expect, it } from 'vitest';
import { factorById } from '../../collector/lifecycle/factors.js';
import { compare, formatComparison, parseScenario } from '../../collector/lifecycle/index.js';
import { LINKS, SERVERS } from '../../collector/lifecycle/profiles/index.js';
import { isUnsourced } from '../../collector/lifecycle/uncertain.js';

const scenarioText = (network: string, datacenterEnergy: string) => `
name: intervals
samples: 4000
seed: 5
allocation: time
energyBasis: marginal
workload: { inferencesPerDay: 86400, inputBytes: 1000, outputBytes: 100 }
device:
  gPerKWh: { central: 200, low: 150, high: 250 }
  energyJ: { central: 0.02, low: 0.015, high: 0.03 }
  latencyS: { central: 0.05, low: 0.04, high: 0.06 }
  embodiedKg: { central: 10, low: 5, high: 20 }
  lifetimeYears: { central: 5, low: 3, high: 7 }
network: ${network}
datacenter:
  gPerKWh: { central: 300, low: 250, high: 350 }
  pue: { central: 1.2, low: 1.1, high: 1.4 }
  energyJ: ${datacenterEnergy}
  powerW: { central: 300, low: 200, high: 400 }
  embodiedKg: { central: 1300, low: 500, high: 3000 }
  lifetimeYears: { central: 4, low: 3, high: 6 }
  utilization: { central: 0.5, low: 0.1, high: 0.6 }
`;

const ranged =
  '{ uplinkUJPerBit: { central: 0.1, low: 0.05, high: 0.2 }, downlinkUJPerBit: { central: 0.1, low: 0.05, high: 0.2 }, requestOverheadJ: { central: 0.1, low: 0.05, high: 0.2 }, kWhPerGB: { central: 0.01, low: 0.001, high: 0.1 }, rttS: { central: 0.05, low: 0.02, high: 0.1 } }';

describe('point values', () => {
  it('a scenario whose every value has a range: no term is a point value and P(edge lower) has no warning', () => {
    const r = compare(parseScenario(scenarioText(ranged, '{ central: 0.05, low: 0.02, high: 0.1 }')));
    expect(r.pointValues.terms).toEqual([]);
    expect(r.probabilityEdgeLowerWarning).toBeNull();
    expect(formatComparison(r)).not.toMatch(/point value/);
  });

  it('a large datacenter term on a single number is marked in JSON and text, and P(edge lower) warns', () => {
    const r = compare(parseScenario(scenarioText(ranged, '0.05')));
    const dc = r.pointValues.terms.find((t) => t.placement === 'offload' && t.term === 'datacenter');
    expect(dc?.restsOn).toEqual(['datacenter.energyJ: a single number in the scenario']);
    expect(dc?.share).toBeGreaterThan(0.1);
    expect(r.probabilityEdgeLowerWarning).toMatch(
      /offload\.datacenter is \d+ % of the offload total and rests on datacenter\.energyJ/,
    );
    const text = formatComparison(r);
    expect(text).toMatch(/^ {2}datacenter .*\(point value\)$/m);
    expect(text).toMatch(/^P\(edge lower\): .*\n {2}WARNING: P\(edge lower\) rests on point values/m);
  });

  it('a default-spread profile value is a point value too, named with its factor', () => {
    // The lte profile's tail power (radio_lte_tail_power) has no sourced range.
    const lte = `{ profile: lte, rttS: { central: 0.05, low: 0.02, high: 0.1 } }`;
    const r = compare(parseScenario(scenarioText(lte, '{ central: 0.05, low: 0.02, high: 0.1 }')));
    const radio = r.pointValues.terms.find((t) => t.term === 'deviceRadio');
    expect(radio?.restsOn.join(' ')).toMatch(/network\.tailW: radio_lte_tail_power/);
    expect(r.warnings.join('\n')).toMatch(/default spread ×\/÷1\.5 .* network\.tailW = radio_lte_tail_power/);
    expect(r.provenance['network.tailW']?.note).toMatch(/default spread/);
  });

  it('a small term on a point value is marked but does not make P(edge lower) warn', () => {
    // Network energy of 1.1 kB at 0.001 kWh/GB is far below 10 % of the offload total here.
    const net = ranged.replace('kWhPerGB: { central: 0.01, low: 0.001, high: 0.1 }', 'kWhPerGB: 0.001');
    const r = compare(parseScenario(scenarioText(net, '{ central: 0.05, low: 0.02, high: 0.1 }')));
    const network = r.pointValues.terms.find((t) => t.term === 'network');
    expect(network?.share).toBeLessThan(0.1);
    expect(r.probabilityEdgeLowerWarning).toBeNull();
  });
});

describe('LTE request overhead, capped by the profile tail power', () => {
  it('the lte profile gives tailW = radio_lte_tail_power, so a 1 s gap charges 1.06 J, not 11 J', () => {
    const lte = LINKS.find((l) => l.id === 'lte');
    expect(lte?.tailW).toMatchObject({ central: 1.06 });
    const r = compare(
      parseScenario(
        scenarioText('{ profile: lte, rttS: { central: 0.05, low: 0.02, high: 0.1 } }', '0.05').replace(
          'samples: 4000',
          'samples: 1',
        ),
      ),
    );
    const kDev = 200 / 3.6e6;
    const bits = 8 * 1000 * 0.64 + 8 * 100 * 0.144;
    expect(r.offload.terms.deviceRadio.central).toBeCloseTo((bits * 1e-6 + 1.06 * 1) * kDev, 15);
  });
});

describe('low-power cellular link (LTE-M / NB-IoT with PSM)', () => {
  it('per request: the measured PSM exchange, capped by the measured wake power; per bit: UNSOURCED, saying why', () => {
    const link = LINKS.find((l) => l.id === 'lte-m-psm');
    expect(link?.requestOverheadJ).toMatchObject({ central: 0.5472, low: 0.2736, high: 1.26 });
    expect(link?.tailW).toMatchObject({ central: 0.03 });
    expect(isUnsourced(link?.uplinkUJPerBit)).toBe(true);
    expect(link?.uplinkUJPerBit).toHaveProperty('unsourced', expect.stringMatching(/200 B request/));
    const exchange = factorById('radio_ltem_psm_exchange_energy');
    expect(exchange.source).toMatch(/zephyr-coaps-client.*0\.152 mWh.*0\.076 mWh.*0\.35 mWh/);
    expect(exchange.central).toBeCloseTo(0.152 * 3.6, 12);
    expect(exchange.low).toBeCloseTo(0.076 * 3.6, 12);
    expect(exchange.high).toBeCloseTo(0.35 * 3.6, 12);
  });
});

describe('re-sourced factors, pinned to their sources', () => {
  it.each([
    ['pwr_orin_nano_idle', 4.27, 2.6, 7, /Lowest Theoretical Operating Power.*ClawBox/],
    ['pwr_orin_nano_load', 11, null, 19, /11 W typical \/ 19 W peak measured/],
    ['pwr_jetson_nano_idle', 1.1, 1.06, null, /DeepEdgeBench/],
    ['emb_jetson_orin_nano_area_scaled', 15.77, 5.31, 30.04, /100 x 79 mm/],
    ['emb_jetson_nano_area_scaled', 15.97, 5.38, 30.42, /100 x 80 mm/],
    ['net_fixed_attributional_range', 0.0065, 0.0011, 0.1, /Malmodin/],
    ['pue_facility_spread', 1.58, 1.1, 1.91, /Uptime.*1\.58.*ENERGY STAR 2009.*1\.91/],
    ['emb_server_utilization', 50, 10, 60, /Barroso.*Deng/],
    ['pwr_server_idle_share', 0.5, null, null, /about half its full power/],
  ] as const)('%s = %s (%s…%s)', (id, central, low, high, source) => {
    expect(factorById(id)).toMatchObject({ central, low, high, source: expect.stringMatching(source) });
  });

  it('DERIVED figures follow from their inputs', () => {
    expect(Math.sqrt(2.6 * 7)).toBeCloseTo(4.27, 2);
    const sbc = factorById('emb_sbc_bare_derived');
    const orin = factorById('emb_jetson_orin_nano_area_scaled');
    const ratio = (100 * 79) / (85 * 56);
    for (const side of ['central', 'low', 'high'] as const)
      expect(orin[side] as number).toBeCloseTo((sbc[side] as number) * ratio, 1);
  });

  it('the gpu-server profile charges idle power (share × wall power) with the default spread; the cpu-server says why it cannot', () => {
    const gpu = SERVERS.find((s) => s.id === 'gpu-server');
    expect(gpu?.idleW).toMatchObject({
      central: 0.5 * 3941.98,
      pointValue: expect.stringMatching(/pwr_server_idle_share/),
    });
    const cpu = SERVERS.find((s) => s.id === 'cpu-server');
    expect(cpu?.idleW).toHaveProperty('unsourced', expect.stringMatching(/give datacenter\.idleW/));
  });
});
