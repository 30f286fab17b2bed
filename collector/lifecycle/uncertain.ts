// An uncertain quantity: central value, range and distribution, plus where it came from. Profiles
// build them from factors (or from arithmetic on factors, labelled DERIVED); scenarios and measured
// data override them. A side of the range the source does not give gets the labelled default spread
// (factors.json `defaultSpread`, issue 13) and the value is marked as resting on a point value.

import { DEFAULT_SPREAD, type Distribution, factorById } from './factors.js';

export type { Distribution } from './factors.js';

export interface Uncertain {
  central: number;
  low: number;
  high: number;
  distribution: Distribution;
  /** Factor ids and citations this value rests on, or `scenario`, `measured: ...`. */
  source: string;
  /** Remarks a reader needs: DERIVED formula, proxy used, range sides that are UNSOURCED. */
  note?: string;
  /** Hard limits draws are cut to (a normal around a measured accuracy must stay in (0, 1]). */
  bounds?: { min: number; max: number };
  /**
   * Set when (a side of) the range is not sourced but the default spread: what the value rests on.
   * Terms that use such a value are marked "(point value)" (issue 13).
   */
  pointValue?: string;
}

/** A profile field whose value no source gives: the scenario has to supply it. */
export interface Unsourced {
  unsourced: string;
}

export type ProfileValue = Uncertain | Unsourced;

export function isUnsourced(value: ProfileValue | undefined): value is Unsourced {
  return value !== undefined && 'unsourced' in value;
}

const DISTRIBUTIONS: ReadonlySet<string> = new Set(['triangular', 'uniform', 'lognormal', 'normal']);

export function fixed(value: number, source: string, note?: string): Uncertain {
  return {
    central: value,
    low: value,
    high: value,
    distribution: 'fixed',
    source,
    ...(note ? { note } : {}),
  };
}

/** The default spread on the sides a source leaves blank: low = central ÷ k, high = central × k. */
export function defaultSide(central: number, side: 'low' | 'high'): number {
  return side === 'low' ? central / DEFAULT_SPREAD.factor : central * DEFAULT_SPREAD.factor;
}

const spreadNote = (sides: string) =>
  `range ${sides} UNSOURCED: default spread ×/÷${DEFAULT_SPREAD.factor} on that side (point value)`;

/**
 * A value whose range no source gives (a DERIVED sum of point factors, say) with the default spread
 * on both sides, labelled and marked as a point value.
 */
export function withDefaultSpread(value: Uncertain, restsOn: string): Uncertain {
  return {
    ...value,
    low: defaultSide(value.central, 'low'),
    high: defaultSide(value.central, 'high'),
    distribution: value.distribution === 'fixed' ? 'triangular' : value.distribution,
    note: [value.note, spreadNote('low and high')].filter(Boolean).join('; '),
    pointValue: restsOn,
  };
}

/**
 * A factor as an uncertain value, scaled by `scale` (unit conversion, e.g. % → fraction). A factor
 * with no central value is UNSOURCED and becomes an Unsourced marker that names it; a side of the
 * range it leaves blank gets the default spread, and the value is marked as a point value.
 */
export function fromFactor(id: string, scale = 1, note?: string): ProfileValue {
  const factor = factorById(id);
  if (factor.central === null) {
    return { unsourced: `${id} has no sourced central value (${factor.notes || factor.description})` };
  }
  const missing = [factor.low === null ? 'low' : '', factor.high === null ? 'high' : ''].filter(Boolean);
  const notes = [note, missing.length > 0 ? spreadNote(missing.join(' and ')) : undefined].filter(Boolean);
  const distribution = DISTRIBUTIONS.has(factor.distribution)
    ? (factor.distribution as Distribution)
    : 'triangular';
  return {
    central: factor.central * scale,
    low: (factor.low ?? defaultSide(factor.central, 'low')) * scale,
    high: (factor.high ?? defaultSide(factor.central, 'high')) * scale,
    distribution,
    source: `${id} (${factor.source}${factor.year === null ? '' : `, ${factor.year}`})`,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    ...(missing.length > 0 ? { pointValue: `${id} (no sourced ${missing.join('/')})` } : {}),
  };
}

/** Arithmetic on sourced numbers: always labelled DERIVED with its formula. */
export function derived(
  central: number,
  low: number,
  high: number,
  distribution: Distribution,
  source: string,
  formula: string,
): Uncertain {
  return { central, low, high, distribution, source, note: `DERIVED: ${formula}` };
}
