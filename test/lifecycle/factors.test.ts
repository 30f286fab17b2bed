// The factor file is the reference's numbers, sources, years and ranges, unchanged; blanks stay
// blank (UNSOURCED); profiles only use factors that exist and never fill in an UNSOURCED value.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SPREAD as BUILDER_SPREAD,
  buildFactorFile,
  keepProjectFactors,
  type ReferenceFactor,
  unsourcedParts,
} from '../../collector/lifecycle/data/build-factors.js';
import { allFactors, DEFAULT_SPREAD, type Factor, factorById } from '../../collector/lifecycle/factors.js';
import {
  BOARDS,
  GRID_REGIONS,
  LINKS,
  PUE_CLASSES,
  SERVERS,
} from '../../collector/lifecycle/profiles/index.js';
import { fromFactor, isUnsourced } from '../../collector/lifecycle/uncertain.js';

/** An unchanged copy of ../shared/reference/factors.json (see test/fixtures/reference/SOURCE.md). */
const REFERENCE = fileURLToPath(new URL('../fixtures/reference/factors.json', import.meta.url));

/**
 * Factors of the reference that the factor file intentionally changes, and why (issue 13, "factors a
 * reviewer found off"). Each must really differ from the reference, so the list cannot go stale.
 */
const RESOURCED: Record<string, string> = {
  pwr_orin_nano_idle:
    'the reference figure is a stripped minimum-power set-up; range now stripped (2.6 W) to stock (7 W)',
  pwr_jetson_nano_idle:
    'the high side (1.12 W) was one unit’s log spread: dropped, so the default spread applies',
  pue_industry_uptime: 'notes say it is a spread of survey means (the class now uses pue_facility_spread)',
  emb_server_utilization: '0–100 % was an API parameter range; now a sourced 10–60 %',
};

/** Factors the reference does not have, added with their own sources (issue 13). */
const ADDED = [
  'pwr_orin_nano_load',
  'emb_jetson_orin_nano_area_scaled',
  'emb_jetson_nano_area_scaled',
  'net_fixed_attributional_range',
  'pue_facility_spread',
  'pwr_server_idle_share',
  'radio_ltem_psm_exchange_energy',
  'radio_ltem_psm_wake_power',
];

describe('factor file vs the reference factors as shipped', () => {
  const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as ReferenceFactor[];
  const built = (buildFactorFile(reference) as { factors: Factor[] }).factors;

  it('keeps every reference factor as build-factors.ts makes it, except the re-sourced ones', () => {
    for (const expected of built) {
      const actual = factorById(expected.id);
      if (expected.id in RESOURCED)
        expect(actual, `${expected.id} is listed as re-sourced`).not.toEqual(expected);
      else expect(actual, expected.id).toEqual(expected);
    }
  });

  it('a rebuild from the reference keeps the re-sourced and added factors (RE-SOURCED in their notes)', () => {
    expect(keepProjectFactors(built, allFactors())).toEqual(allFactors());
    for (const id of Object.keys(RESOURCED))
      expect(factorById(id).notes, id).toMatch(/RE-SOURCED \(issue 13\)/);
  });

  it('adds factors only with a source, a unit and their blanks listed', () => {
    const known = new Set(built.map((f) => f.id));
    const added = allFactors().filter((f) => !known.has(f.id));
    expect(added.map((f) => f.id)).toEqual(expect.arrayContaining(ADDED));
    for (const factor of added) {
      expect(factor.source.length, factor.id).toBeGreaterThan(10);
      expect(factor.unit.length, factor.id).toBeGreaterThan(0);
      expect(factor.unsourced, factor.id).toEqual(unsourcedParts(factor));
    }
  });
});

describe('default spread (issue 13)', () => {
  it('labels every factor with a central value and a blank range side, and no other', () => {
    for (const factor of allFactors()) {
      const blank = factor.central !== null && (factor.low === null || factor.high === null);
      expect(factor.spread, factor.id).toBe(blank ? 'default' : undefined);
    }
    expect(allFactors().filter((f) => f.spread === 'default').length).toBeGreaterThan(40);
  });

  it('states its rule in the file, and the rule is what the sourced ranges of the reference say', () => {
    expect(DEFAULT_SPREAD).toEqual(BUILDER_SPREAD);
    const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as ReferenceFactor[];
    const widerSide = reference
      .filter((f) => f.central !== null && f.central > 0 && f.low !== null && f.low > 0 && f.high !== null)
      .map((f) =>
        Math.max((f.high as number) / (f.central as number), (f.central as number) / (f.low as number)),
      )
      .sort((a, b) => a - b);
    const median = widerSide[Math.floor(widerSide.length / 2)] as number;
    expect(widerSide.length).toBeGreaterThan(80);
    expect(Math.abs(median - DEFAULT_SPREAD.factor)).toBeLessThan(0.05);
  });

  it('fills a blank side with central ÷/× 1.5 and marks the value as a point value', () => {
    const tail = fromFactor('radio_lte_tail_power');
    expect(tail).toMatchObject({ central: 1.06, pointValue: expect.stringMatching(/radio_lte_tail_power/) });
    if (isUnsourced(tail)) throw new Error('unreachable');
    expect(tail.low).toBeCloseTo(1.06 / 1.5, 12);
    expect(tail.high).toBeCloseTo(1.06 * 1.5, 12);
    expect(tail.note).toMatch(/default spread ×\/÷1\.5/);
    const sourced = fromFactor('grid_belgium');
    expect(sourced).not.toHaveProperty('pointValue');
    expect(sourced).toMatchObject({ low: 118, high: 153 });
  });
});

describe('factor library', () => {
  it('keeps source, year, unit and range of every value, and lists what is UNSOURCED', () => {
    const lte = factorById('radio_lte_ebit_up_eff');
    expect(lte).toMatchObject({ central: 0.64, low: 0.438, high: null, unit: 'uJ/bit', year: 2012 });
    expect(lte.unsourced).toEqual(['high']);
    expect(lte.source).toMatch(/Huang/);
    const lora = factorById('radio_lora_ebit');
    expect(lora.central).toBeNull();
    expect(lora.unsourced).toContain('central');
  });

  it('every profile value is either sourced (with a source) or an explicit UNSOURCED marker', () => {
    const values = [
      ...BOARDS.flatMap((b) => [b.idleW, b.embodiedKg, b.lifetimeYears]),
      ...LINKS.flatMap((l) => [
        l.uplinkUJPerBit,
        l.downlinkUJPerBit,
        l.requestOverheadJ,
        l.kWhPerGB.attributional,
        l.kWhPerGB.marginal,
        l.rttS,
      ]),
      ...SERVERS.flatMap((s) => [s.powerW, s.embodiedKg, s.lifetimeYears, s.utilization]),
      ...PUE_CLASSES.map((p) => p.pue),
      ...GRID_REGIONS.map((r) => r.gPerKWh),
    ];
    for (const value of values) {
      if (isUnsourced(value)) {
        expect(value.unsourced.length).toBeGreaterThan(10);
      } else {
        expect(value.source.length).toBeGreaterThan(3);
        expect(value.low).toBeLessThanOrEqual(value.central);
        expect(value.high).toBeGreaterThanOrEqual(value.central);
      }
    }
  });

  it('the profiles the issue names exist, and the unsourced ones say so', () => {
    expect(BOARDS.map((b) => b.id)).toEqual(['rpi4', 'rpi5', 'jetson-nano', 'jetson-orin-nano', 'esp32']);
    expect(LINKS.map((l) => l.id)).toEqual(['wifi', 'lte', '5g', 'ethernet', 'lte-m-psm']);
    expect(SERVERS.map((s) => s.id)).toEqual(['cpu-server', 'gpu-server']);
    expect(PUE_CLASSES.map((p) => p.id)).toEqual(expect.arrayContaining(['industry-average', 'hyperscale']));
    const fiveG = LINKS.find((l) => l.id === '5g');
    expect(isUnsourced(fiveG?.uplinkUJPerBit)).toBe(true);
    const ethernet = LINKS.find((l) => l.id === 'ethernet');
    expect(isUnsourced(ethernet?.uplinkUJPerBit)).toBe(true);
    expect(BOARDS.every((b) => isUnsourced(b.lifetimeYears))).toBe(true);
  });

  it('profile values equal their factors (no silent edits); a blank range side gets the default spread', () => {
    const rpi4 = BOARDS.find((b) => b.id === 'rpi4');
    expect(rpi4?.idleW).toMatchObject({ central: 2.7, low: 1.6, high: 3.0, distribution: 'triangular' });
    const lte = LINKS.find((l) => l.id === 'lte');
    expect(lte?.uplinkUJPerBit).toMatchObject({ central: 0.64, low: 0.438, high: 0.64 * 1.5 });
    expect(lte?.uplinkUJPerBit).toHaveProperty(
      'note',
      expect.stringMatching(/range high UNSOURCED: default spread/),
    );
    const be = GRID_REGIONS.find((r) => r.id === 'BE');
    expect(be?.gPerKWh).toMatchObject({ central: 118, low: 118, high: 153 });
    const cpu = SERVERS.find((s) => s.id === 'cpu-server');
    expect(cpu?.utilization).toMatchObject({ central: 0.5, low: 0.1, high: 0.6 });
  });
});
