// The board registry (protocol/boards/): every number in every board file equals the factor it
// names in the factor file, in the unit its field says; lookups and recognition; and the views the
// agent and the life-cycle engine take of it.

import { describe, expect, it } from 'vitest';
import { factorById } from '../../collector/lifecycle/factors.js';
import { BOARDS as LIFECYCLE_BOARDS } from '../../collector/lifecycle/profiles/index.js';
import { defaultSide } from '../../collector/lifecycle/uncertain.js';
import {
  BOARDS,
  type Board,
  boardById,
  type FactorFigure,
  isUnsourcedFigure,
  offloadWaitW,
  recogniseBoard,
  UnknownBoardError,
} from '../../protocol/boards/index.js';

/** The factor unit each figure field may come from (scaled where the factor is a current at 3.3 V). */
const FIELD_UNITS: Record<string, { unit: string; scale?: number }[]> = {
  idleW: [{ unit: 'W' }, { unit: 'mA @3.3V', scale: 3.3 / 1000 }],
  loadW: [{ unit: 'W' }, { unit: 'mA @3.3V', scale: 3.3 / 1000 }],
  offloadWaitW: [{ unit: 'W' }, { unit: 'mA @3.3V', scale: 3.3 / 1000 }],
  embodiedKgCo2e: [{ unit: 'kgCO2e' }],
  lifetimeYears: [{ unit: 'years' }],
};
/** Numbers in a board file that are hardware specifications, not factors. */
const SPEC_NUMBERS = ['cpuCores'];

/** Every number in a board object, by path; the figures' own numbers are listed under their field. */
function numbersIn(value: unknown, path: string): string[] {
  if (typeof value === 'number') return [path];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    numbersIn(inner, path === '' ? key : `${path}.${key}`),
  );
}

const figuresOf = (board: Board): [string, FactorFigure][] =>
  Object.entries(board).filter(
    (entry): entry is [string, FactorFigure] =>
      typeof entry[1] === 'object' && entry[1] !== null && 'factor' in entry[1],
  );

describe.each(BOARDS.map((board) => [board.id, board] as const))('board %s', (_id, board) => {
  it.each(figuresOf(board))(
    '%s equals its factor (central, low, high; blank sides = central)',
    (field, figure) => {
      const factor = factorById(figure.factor);
      expect(factor.central, `${figure.factor} has no central value`).not.toBeNull();
      const scale = figure.scale ?? 1;
      const allowed = FIELD_UNITS[field] ?? [];
      expect(
        allowed.some((u) => u.unit === factor.unit && (u.scale ?? 1) === scale),
        `${field} from ${figure.factor} in ${factor.unit} with scale ${scale}`,
      ).toBe(true);
      const central = factor.central ?? Number.NaN;
      const want = { central, low: factor.low ?? central, high: factor.high ?? central };
      for (const side of ['central', 'low', 'high'] as const) {
        // A scaled factor is compared to 1e-12 relative: 85 × 0.0033 is 0.28049999999999997 in binary.
        if (scale === 1) expect(figure[side], `${field}.${side}`).toBe(want[side]);
        else expect(figure[side] / (want[side] * scale), `${field}.${side}`).toBeCloseTo(1, 12);
      }
      if (scale !== 1) expect(figure.note, `${field}: a scaled factor says how`).toMatch(/^DERIVED: /);
    },
  );

  it('has no number that is not a factor figure or a hardware specification', () => {
    const figureFields = figuresOf(board).map(([field]) => field);
    const loose = numbersIn(board, '').filter(
      (path) =>
        !SPEC_NUMBERS.includes(path) &&
        // The speed factor is a labelled assumption (simulated-sensor.test.ts checks its label).
        !['central', 'low', 'high'].some((k) => path === `hostSpeedFactor.${k}`) &&
        !figureFields.some((field) =>
          ['central', 'low', 'high', 'scale'].some((k) => path === `${field}.${k}`),
        ),
    );
    expect(loose).toEqual([]);
  });

  it('has low ≤ central ≤ high, positive, and less power at idle than at load', () => {
    for (const [, figure] of figuresOf(board)) {
      expect(figure.low).toBeGreaterThan(0);
      expect(figure.low).toBeLessThanOrEqual(figure.central);
      expect(figure.central).toBeLessThanOrEqual(figure.high);
    }
    expect(board.idleW.central).toBeLessThan(board.loadW.central);
  });

  it('has a whole number of CPU cores, a name, model strings and sensors', () => {
    expect(Number.isInteger(board.cpuCores) && board.cpuCores > 0).toBe(true);
    expect(board.name.length).toBeGreaterThan(3);
    expect(board.recognise.modelContains.length).toBeGreaterThan(0);
    expect(board.sensors.length).toBeGreaterThan(0);
  });

  it('says why when a field has no source', () => {
    if (isUnsourcedFigure(board.lifetimeYears)) expect(board.lifetimeYears.unsourced).toMatch(/no source/);
  });

  it('is what the life-cycle engine uses: the same numbers (a blank factor side: the default spread), the source of the factor', () => {
    const profile = LIFECYCLE_BOARDS.find((candidate) => candidate.id === board.id);
    const pairs = [
      [profile?.idleW, offloadWaitW(board)],
      [profile?.embodiedKg, board.embodiedKgCo2e],
    ] as const;
    for (const [value, figure] of pairs) {
      expect(value).toHaveProperty('source', expect.stringMatching(new RegExp(`^${figure.factor} \\(`)));
      const factor = factorById(figure.factor);
      for (const side of ['central', 'low', 'high'] as const) {
        const got = value === undefined || 'unsourced' in value ? Number.NaN : value[side];
        const blank = side !== 'central' && factor[side] === null;
        const want = blank ? defaultSide(figure.central, side) : figure[side];
        expect(got / want, side).toBeCloseTo(1, 12);
      }
    }
  });
});

describe('board registry', () => {
  it('holds the five boards, in order, with unique ids', () => {
    expect(BOARDS.map((b) => b.id)).toEqual(['rpi4', 'rpi5', 'jetson-nano', 'jetson-orin-nano', 'esp32']);
  });

  it('finds every board by its id', () => {
    for (const board of BOARDS) expect(boardById(board.id)).toBe(board);
  });

  it('throws UnknownBoardError naming the id and listing the known boards', () => {
    expect(() => boardById('pi-zero')).toThrow(UnknownBoardError);
    expect(() => boardById('pi-zero')).toThrow(/"pi-zero".*rpi4, rpi5, jetson-nano, jetson-orin-nano, esp32/);
  });

  it.each([
    ['Raspberry Pi 4 Model B Rev 1.4', 'rpi4'],
    ['Raspberry Pi 5 Model B Rev 1.0', 'rpi5'],
    ['NVIDIA Jetson Nano Developer Kit', 'jetson-nano'],
    ['NVIDIA Jetson Nano 2GB Developer Kit', 'jetson-nano'],
    ['NVIDIA Jetson Orin Nano Developer Kit', 'jetson-orin-nano'],
    ['ESP32-S3', 'esp32'],
    ['esp32', 'esp32'],
  ])('recognises %s as %s', (model, id) => {
    expect(recogniseBoard(model)?.id).toBe(id);
  });

  it.each([
    'Raspberry Pi 3 Model B Plus Rev 1.3',
    'NVIDIA Jetson Xavier NX Developer Kit',
    'QEMU Standard PC',
    '',
  ])('recognises no board in %j', (model) => {
    expect(recogniseBoard(model)).toBeUndefined();
  });
});
