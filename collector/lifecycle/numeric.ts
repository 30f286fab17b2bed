// The scenario's numeric field: a plain number (fixed) or { central, low, high, distribution }.
// Domain limits (≥ 0, > 0, ≤ 1, ≥ 1) are checked on every given value, and the range must hold
// the central value, so a bad value is refused with the field's name instead of skewing a result.

import { z } from 'zod';
import type { Distribution } from './factors.js';

export const DISTRIBUTIONS = ['fixed', 'triangular', 'uniform', 'lognormal', 'normal'] as const;

export interface RangedInput {
  central: number;
  low?: number | undefined;
  high?: number | undefined;
  distribution?: Distribution | undefined;
}

export type NumericInput = number | RangedInput;

export interface Limits {
  /** value ≥ min */
  min?: number;
  /** value > above */
  above?: number;
  /** value ≤ max */
  max?: number;
}

const finite = () =>
  z.number({ error: (issue) => `expected a finite number, got ${JSON.stringify(issue.input) ?? 'nothing'}` });

const ranged = z.strictObject({
  central: finite(),
  low: finite().optional(),
  high: finite().optional(),
  distribution: z
    .enum(DISTRIBUTIONS, {
      error: (issue) =>
        `unknown distribution ${JSON.stringify(issue.input)}; use ${DISTRIBUTIONS.join(', ')}`,
    })
    .optional(),
});

function limitProblem(value: number, limits: Limits): string | undefined {
  if (limits.min !== undefined && value < limits.min) return `must be ≥ ${limits.min}, got ${value}`;
  if (limits.above !== undefined && value <= limits.above) return `must be > ${limits.above}, got ${value}`;
  if (limits.max !== undefined && value > limits.max) return `must be ≤ ${limits.max}, got ${value}`;
  return undefined;
}

export const NUMERIC_HINT = 'expected a number or { central, low, high, distribution }';

export function numeric(limits: Limits = {}) {
  return z.union([finite(), ranged], { error: NUMERIC_HINT }).superRefine((value, ctx) => {
    if (typeof value === 'number') {
      const problem = limitProblem(value, limits);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      return;
    }
    for (const key of ['central', 'low', 'high'] as const) {
      const given = value[key];
      const problem = given === undefined ? undefined : limitProblem(given, limits);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
    const low = value.low ?? value.central;
    const high = value.high ?? value.central;
    if (low > value.central) {
      ctx.addIssue({
        code: 'custom',
        path: ['low'],
        message: `low ${low} is above central ${value.central}`,
      });
    }
    if (high < value.central) {
      ctx.addIssue({
        code: 'custom',
        path: ['high'],
        message: `high ${high} is below central ${value.central}`,
      });
    }
    if (value.distribution === 'lognormal' && low <= 0) {
      ctx.addIssue({ code: 'custom', path: ['low'], message: `a lognormal range must be > 0, got ${low}` });
    }
  });
}
