// The factor file is the reference's numbers, sources, years and ranges, unchanged; blanks stay
// blank (UNSOURCED); profiles only use factors that exist and never fill in an UNSOURCED value.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildFactorFile, type ReferenceFactor } from '../../collector/lifecycle/data/build-factors.js';
import { allFactors, factorById } from '../../collector/lifecycle/factors.js';
import {
  BOARDS,
  GRID_REGIONS,
  LINKS,
  PUE_CLASSES,
  SERVERS,
} from '../../collector/lifecycle/profiles/index.js';
import { isUnsourced } from '../../collector/lifecycle/uncertain.js';

/** An unchanged copy of ../shared/reference/factors.json (see test/fixtures/reference/SOURCE.md). */
const REFERENCE = fileURLToPath(new URL('../fixtures/reference/factors.json', import.meta.url));

describe('factor file vs the reference factors', () => {
  it('is exactly what build-factors.ts makes from the reference', () => {
    const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as ReferenceFactor[];
    const built = buildFactorFile(reference) as { factors: unknown[] };
    expect(allFactors()).toEqual(built.factors);
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
    expect(LINKS.map((l) => l.id)).toEqual(['wifi', 'lte', '5g', 'ethernet']);
    expect(SERVERS.map((s) => s.id)).toEqual(['cpu-server', 'gpu-server']);
    expect(PUE_CLASSES.map((p) => p.id)).toEqual(expect.arrayContaining(['industry-average', 'hyperscale']));
    const fiveG = LINKS.find((l) => l.id === '5g');
    expect(isUnsourced(fiveG?.uplinkUJPerBit)).toBe(true);
    const ethernet = LINKS.find((l) => l.id === 'ethernet');
    expect(isUnsourced(ethernet?.uplinkUJPerBit)).toBe(true);
    expect(BOARDS.every((b) => isUnsourced(b.lifetimeYears))).toBe(true);
  });

  it('profile values equal their factors (no silent edits); one-sided ranges keep the central value', () => {
    const rpi4 = BOARDS.find((b) => b.id === 'rpi4');
    expect(rpi4?.idleW).toMatchObject({ central: 2.7, low: 1.6, high: 3.0, distribution: 'triangular' });
    const lte = LINKS.find((l) => l.id === 'lte');
    expect(lte?.uplinkUJPerBit).toMatchObject({ central: 0.64, low: 0.438, high: 0.64 });
    expect(lte?.uplinkUJPerBit).toHaveProperty('note', expect.stringMatching(/range high UNSOURCED/));
    const be = GRID_REGIONS.find((r) => r.id === 'BE');
    expect(be?.gPerKWh).toMatchObject({ central: 118, low: 118, high: 153 });
    const cpu = SERVERS.find((s) => s.id === 'cpu-server');
    expect(cpu?.utilization).toMatchObject({ central: 0.5, low: 0, high: 1 });
  });
});
