// The factor library: every sourced number the engine may use, read from data/factors.json (built
// from the shared reference). A factor keeps its source, year and range; a value the reference does
// not have is null here and is reported as UNSOURCED, never filled in.

import { EdgewattError } from '../../common/errors.js';
import type { ReferenceFactor } from './data/build-factors.js';
import data from './data/factors.json' with { type: 'json' };

export type Distribution = 'fixed' | 'triangular' | 'uniform' | 'lognormal' | 'normal';

/** A reference factor as the factor file keeps it, plus what the reference leaves blank. */
export interface Factor extends ReferenceFactor {
  /** Parts the reference leaves blank: any of central, low, high, year. */
  unsourced: string[];
  /** `default`: a side of the range has no source, and the default spread (DEFAULT_SPREAD) fills it. */
  spread?: 'default';
}

/** The rule for a range side no source gives, with why (factors.json `defaultSpread`). */
export const DEFAULT_SPREAD: { rule: string; why: string; factor: number } = data.defaultSpread;

export class UnknownFactorError extends EdgewattError {
  override readonly name = 'UnknownFactorError';
}

const FACTORS: ReadonlyMap<string, Factor> = new Map(
  (data.factors as Factor[]).map((factor) => [factor.id, factor]),
);

export function allFactors(): Factor[] {
  return [...FACTORS.values()];
}

export function factorById(id: string): Factor {
  const factor = FACTORS.get(id);
  if (factor === undefined) {
    throw new UnknownFactorError(
      `unknown factor ${JSON.stringify(id)}; the ids are those of collector/lifecycle/data/factors.json`,
    );
  }
  return factor;
}
