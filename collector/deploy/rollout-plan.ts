// What a rollout is asked to do (its spec, checked with zod so CLI, HTTP API and a restarted
// collector read the same thing) and the pure planning steps: which devices a selector names and
// how they split into groups (canary first, then stated cumulative percentages or the rest).

import { z } from 'zod';
import { DEFAULT_GATE } from './health-gate.js';

/** `10%` (of the devices) or `3` (devices). */
const share = z
  .string()
  .regex(/^(\d{1,3}(\.\d+)?%|\d{1,6})$/, 'must be a percentage such as 10% or a count such as 3');

export const rolloutSpecSchema = z.strictObject({
  modelId: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be the model id (64 hex digits; see "edgewatt registry list")'),
  /** Comma-separated `fleet/device` patterns (`*` matches any run of characters); no `/` = any fleet. */
  devices: z.string().min(1).max(4096),
  canary: share.default('10%'),
  /** Cumulative shares after the canary, e.g. ['50%', '100%']; empty = all the rest at once. */
  groups: z.array(share).max(20).default([]),
  probationS: z
    .number()
    .min(0)
    .max(7 * 86_400)
    .default(1800),
  /** Share of the devices in each group that must commit after probation before the next starts. */
  successThreshold: z.number().min(0).max(1).default(0.5),
  /** Abort (and roll back) once failures / executed ≥ this, when at least minExecuted devices ran. */
  errorThreshold: z.number().min(0).max(1).default(0.5),
  minExecuted: z.number().int().min(1).default(3),
  /** A device with no terminal report this long after probation would have ended counts as failed. */
  inProgressTimeoutS: z
    .number()
    .min(1)
    .max(7 * 86_400)
    .default(1800),
  gate: z
    .strictObject({
      enabled: z.boolean().default(true),
      margin: z.number().min(0).max(10).default(DEFAULT_GATE.margin),
      accuracyMargin: z.number().min(0).max(1).default(DEFAULT_GATE.accuracyMargin),
      minRecords: z.number().int().min(2).default(DEFAULT_GATE.minRecords),
      batches: z.number().int().min(2).max(100).default(DEFAULT_GATE.batches),
      /** Length of the pre-rollout period read for each canary board, seconds. */
      preWindowS: z.number().min(1).default(3600),
      /** Wait after a commit so the probation's last records reach the store, seconds. */
      graceS: z.number().min(0).max(3600).default(5),
    })
    .default({
      enabled: true,
      margin: DEFAULT_GATE.margin,
      accuracyMargin: DEFAULT_GATE.accuracyMargin,
      minRecords: DEFAULT_GATE.minRecords,
      batches: DEFAULT_GATE.batches,
      preWindowS: 3600,
      graceS: 5,
    }),
});
export type RolloutSpec = z.infer<typeof rolloutSpecSchema>;
export type RolloutSpecInput = z.input<typeof rolloutSpecSchema>;

export interface KnownDevice {
  fleet: string;
  device: string;
  /** The model its last status names, or null when unknown. */
  modelId: string | null;
}

function patternRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** The devices a selector names, sorted by fleet then device. */
export function selectDevices(selector: string, known: readonly KnownDevice[]): KnownDevice[] {
  const patterns = selector
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const slash = p.indexOf('/');
      return slash < 0
        ? { fleet: /^.*$/, device: patternRegex(p) }
        : { fleet: patternRegex(p.slice(0, slash)), device: patternRegex(p.slice(slash + 1)) };
    });
  return known
    .filter((d) => patterns.some((p) => p.fleet.test(d.fleet) && p.device.test(d.device)))
    .sort((a, b) => a.fleet.localeCompare(b.fleet) || a.device.localeCompare(b.device));
}

function countOf(text: string, total: number): number {
  if (text.endsWith('%')) return Math.ceil((Number(text.slice(0, -1)) / 100) * total - 1e-9);
  return Number(text);
}

/** Group sizes: the canary (at least 1), then each cumulative share, then whatever is left. */
export function planGroups(total: number, canary: string, groups: readonly string[]): number[] {
  if (total === 0) return [];
  const sizes: number[] = [];
  let placed = Math.min(total, Math.max(1, countOf(canary, total)));
  sizes.push(placed);
  for (const share of groups) {
    const upTo = Math.min(total, countOf(share, total));
    if (upTo > placed) {
      sizes.push(upTo - placed);
      placed = upTo;
    }
  }
  if (placed < total) sizes.push(total - placed);
  return sizes;
}
