// A rollout as it is persisted (one JSON document): its spec, its state, and per device the group,
// the model it ran before (for rollback), its phase in this rollout and the last state it reported.
// Plain data; the transitions live in rollout-controller.ts.

import type { GateVerdict } from './health-gate.js';
import type { RolloutSpec } from './rollout-plan.js';

export const ROLLOUT_STATES = ['running', 'paused', 'finished', 'aborted'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/**
 * A device's phase in a rollout. `assigned` → `in-progress` (reports arriving) → `committed`
 * (device committed after its probation; awaiting the collector's health gate when it is a canary)
 * → `succeeded`; or `failed` (refused, failed, rolled itself back), `timed-out` (no terminal report
 * in time: hawkBit #693), `regressed` (the health gate found a regression). After an abort:
 * `reverting` (rollback assignment sent) → `reverted`, or `cleared` (no previous model to go back to).
 */
export const DEVICE_PHASES = [
  'pending',
  'assigned',
  'in-progress',
  'committed',
  'succeeded',
  'failed',
  'timed-out',
  'regressed',
  'reverting',
  'reverted',
  'cleared',
  'skipped',
] as const;
export type DevicePhase = (typeof DEVICE_PHASES)[number];

/** Phases in which a device's part in the group is decided (for group completion and thresholds). */
export const DECIDED: ReadonlySet<DevicePhase> = new Set(['succeeded', 'failed', 'timed-out', 'regressed']);
export const FAILED: ReadonlySet<DevicePhase> = new Set(['failed', 'timed-out', 'regressed']);

export interface RolloutDevice {
  fleet: string;
  device: string;
  group: number;
  previousModelId: string | null;
  phase: DevicePhase;
  /** The last state the device reported for this rollout (or its rollback). */
  lastState: string | null;
  reason: string | null;
  assignedAtMs: number | null;
  /** When the device reported `probation` (device clock, µs): the health gate's window starts there. */
  probationAtUs: number | null;
  committedAtMs: number | null;
  /** When the collector runs the health gate (ms), for a committed canary. */
  gateDueMs: number | null;
  gate: GateVerdict | null;
}

export interface Rollout {
  id: string;
  spec: RolloutSpec;
  state: RolloutState;
  createdMs: number;
  /** The group now running (index into groupSizes). */
  currentGroup: number;
  groupSizes: number[];
  devices: RolloutDevice[];
  endedMs: number | null;
  /** Why it paused, finished or was aborted. */
  note: string | null;
}

export interface GroupProgress {
  group: number;
  size: number;
  counts: Partial<Record<DevicePhase, number>>;
}

export function groupProgress(rollout: Rollout): GroupProgress[] {
  return rollout.groupSizes.map((size, group) => {
    const counts: Partial<Record<DevicePhase, number>> = {};
    for (const d of rollout.devices) if (d.group === group) counts[d.phase] = (counts[d.phase] ?? 0) + 1;
    return { group, size, counts };
  });
}
