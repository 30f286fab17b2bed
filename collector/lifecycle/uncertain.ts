// An uncertain quantity: central value, range and distribution, plus where it came from. Profiles
// build them from factors (or from arithmetic on factors, labelled DERIVED); scenarios and measured
// data override them. A side of the range the source does not give is kept at the central value
// (no spread on that side) and flagged, instead of being guessed.

import { type Distribution, factorById } from './factors.js';

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

/**
 * A factor as an uncertain value, scaled by `scale` (unit conversion, e.g. % → fraction). A factor
 * with no central value is UNSOURCED and becomes an Unsourced marker that names it.
 */
export function fromFactor(id: string, scale = 1, note?: string): ProfileValue {
  const factor = factorById(id);
  if (factor.central === null) {
    return { unsourced: `${id} has no sourced central value (${factor.notes || factor.description})` };
  }
  const missing = [factor.low === null ? 'low' : '', factor.high === null ? 'high' : ''].filter(Boolean);
  const notes = [
    note,
    missing.length > 0 ? `range ${missing.join(' and ')} UNSOURCED: no spread on that side` : undefined,
  ].filter(Boolean);
  const distribution = DISTRIBUTIONS.has(factor.distribution)
    ? (factor.distribution as Distribution)
    : 'triangular';
  return {
    central: factor.central * scale,
    low: (factor.low ?? factor.central) * scale,
    high: (factor.high ?? factor.central) * scale,
    distribution,
    source: `${id} (${factor.source}${factor.year === null ? '' : `, ${factor.year}`})`,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
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
