// `edgewatt experiment plan <file>`: the schedule the experiment would run, and its power analysis
// (power.ts) with the variability taken from the file (a stated assumption) or from the store's
// records (variability.ts). Also resolves a device selector against the devices the store knows.

import { EdgewattError } from '../../common/errors.js';
import type { RecordReader } from '../store/index.js';
import type { Experiment } from './experiment-file.js';
import { boardsNeeded, minimumDetectableEffect, type PowerInputs, periodsNeeded } from './power.js';
import { experimentSchedule, type Period } from './schedule.js';
import { estimateVariability, type Variability } from './variability.js';

export class PlanError extends EdgewattError {
  override readonly name = 'PlanError';
}

export interface PowerPlan {
  source: 'assumption' | 'store';
  periodSdRel: number;
  interactionSdRel: number;
  boardSdRel: number | null;
  /** What the store estimate rests on (source: store). */
  basis: Omit<Variability, 'periodSdRel' | 'boardSdRel'> | null;
  alpha: number;
  power: number;
  /** Relative minimum detectable effect with the planned boards and periods. */
  mde: number;
  targetEffect: number;
  boardsNeeded: number | null;
  periodsNeeded: number | null;
}

export interface Plan {
  experiment: string;
  design: Experiment['design'];
  devices: string[];
  arms: string[];
  periods: number;
  periodS: number;
  washoutS: number;
  totalS: number;
  schedule: Period[];
  power: PowerPlan;
}

/** The experiment's boards: its list, or its selector over the devices the store has seen. */
export async function resolveDevices(experiment: Experiment, reader: RecordReader | null): Promise<string[]> {
  if (experiment.devices !== undefined) return [...experiment.devices];
  const select = experiment.select ?? {};
  if (reader === null) {
    throw new PlanError(`${experiment.id}: \`select\` needs the store to find the devices; pass --store`);
  }
  const known = await reader.readDevices({ fleet: experiment.fleet });
  const chosen = known
    .filter((d) => select.board === undefined || d.board === select.board)
    .filter((d) => select.prefix === undefined || d.device.startsWith(select.prefix))
    .map((d) => d.device)
    .sort();
  const devices = select.limit === undefined ? chosen : chosen.slice(0, select.limit);
  if (devices.length === 0) {
    throw new PlanError(
      `${experiment.id}: select ${JSON.stringify(select)} matches none of the ${known.length} device(s) of fleet ${JSON.stringify(experiment.fleet)} in the store`,
    );
  }
  return devices;
}

export async function planExperiment(
  experiment: Experiment,
  reader: RecordReader | null,
  startMs = 0,
): Promise<Plan> {
  const devices = await resolveDevices(experiment, reader);
  const schedule = experimentSchedule(experiment, devices, startMs);
  const p = experiment.power;
  let periodSdRel = p.periodSdRel;
  let boardSdRel = p.boardSdRel ?? null;
  let basis: PowerPlan['basis'] = null;
  const needsBoardSd = experiment.design === 'parallel' && boardSdRel === null;
  if (periodSdRel === undefined || needsBoardSd) {
    const estimate =
      reader === null
        ? null
        : await estimateVariability(
            reader,
            { fleet: experiment.fleet },
            experiment.periodS,
            Math.max(experiment.washoutS, experiment.warmupS),
          );
    if (estimate === null) {
      throw new PlanError(
        `${experiment.id}: no stored records of fleet ${JSON.stringify(experiment.fleet)} with two or more periods of ${experiment.periodS} s on one board to estimate the variability from; give power.periodSdRel${experiment.design === 'parallel' ? ' and power.boardSdRel' : ''} in the file (a stated assumption), or run the boards for a while first`,
      );
    }
    const { periodSdRel: sdP, boardSdRel: sdB, ...rest } = estimate;
    basis = rest;
    periodSdRel ??= sdP;
    boardSdRel ??= sdB;
    if (experiment.design === 'parallel' && boardSdRel === null) {
      throw new PlanError(
        `${experiment.id}: the store has fewer than 3 boards to estimate the spread between boards from; give power.boardSdRel`,
      );
    }
  }
  const inputs: PowerInputs = {
    design: experiment.design,
    boards: devices.length,
    periods: experiment.periods,
    arms: experiment.arms.length,
    alpha: p.alpha,
    power: p.power,
    periodSdRel,
    interactionSdRel: p.interactionSdRel,
    boardSdRel: boardSdRel ?? undefined,
  };
  return {
    experiment: experiment.id,
    design: experiment.design,
    devices,
    arms: experiment.arms.map((a) => a.id),
    periods: experiment.periods,
    periodS: experiment.periodS,
    washoutS: experiment.washoutS,
    totalS: experiment.periods * experiment.periodS,
    schedule,
    power: {
      source: basis === null ? 'assumption' : 'store',
      periodSdRel,
      interactionSdRel: p.interactionSdRel,
      boardSdRel,
      basis,
      alpha: p.alpha,
      power: p.power,
      mde: minimumDetectableEffect(inputs),
      targetEffect: p.targetEffect,
      boardsNeeded: boardsNeeded(inputs, p.targetEffect),
      periodsNeeded: periodsNeeded(inputs, p.targetEffect),
    },
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'not estimable');
const duration = (s: number) =>
  s >= 3600
    ? `${(s / 3600).toFixed(s % 3600 === 0 ? 0 : 1)} h`
    : s >= 60
      ? `${(s / 60).toFixed(s % 60 === 0 ? 0 : 1)} min`
      : `${s} s`;

export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  lines.push(
    `experiment ${plan.experiment}: ${plan.design}, ${plan.devices.length} board(s), arms ${plan.arms.join(', ')}, ${plan.periods} period(s) of ${duration(plan.periodS)} (washout ${duration(plan.washoutS)} after each switch), ${duration(plan.totalS)} in all`,
  );
  lines.push('', 'schedule (arm per period):');
  const width = Math.max(...plan.devices.map((d) => d.length), 6);
  lines.push(
    `  ${'board'.padEnd(width)}  ${Array.from({ length: plan.periods }, (_, i) => `p${i + 1}`.padEnd(12)).join('')}`,
  );
  for (const device of plan.devices) {
    const arms = plan.schedule
      .filter((p) => p.device === device)
      .map((p) => `${p.arm}${p.washoutEndMs > p.startMs ? '*' : ''}`);
    lines.push(`  ${device.padEnd(width)}  ${arms.map((a) => a.padEnd(12)).join('')}`);
  }
  lines.push('  (* = a switch: the first washout seconds are recorded but not analysed)');
  const w = plan.power;
  lines.push('', 'power analysis:');
  const source =
    w.source === 'store' && w.basis !== null
      ? `estimated from the store: ${w.basis.chunks} period-long chunks on ${w.basis.boards} board(s), ${w.basis.recordsPerChunk.toFixed(0)} records each`
      : 'stated in the file (an assumption)';
  lines.push(`  period-to-period SD of a board's mean  ${pct(w.periodSdRel)}  (${source})`);
  lines.push(
    `  board-to-board SD of the effect        ${pct(w.interactionSdRel)}  (power.interactionSdRel, an assumption)`,
  );
  if (plan.design === 'parallel')
    lines.push(`  board-to-board SD of the mean          ${pct(w.boardSdRel ?? Number.NaN)}`);
  lines.push(
    `  minimum detectable effect              ${pct(w.mde)}  (α = ${w.alpha}, power ${w.power * 100} %, ${plan.devices.length} boards, ${plan.periods} periods)`,
  );
  const boards = w.boardsNeeded === null ? 'more than 100,000' : String(w.boardsNeeded);
  const periods =
    w.periodsNeeded === null
      ? 'no number of periods (the board-to-board spread of the effect sets the floor: add boards)'
      : `${w.periodsNeeded} periods (${duration(w.periodsNeeded * plan.periodS)})`;
  lines.push(
    `  to detect ${pct(w.targetEffect)}: ${boards} boards with ${plan.periods} periods, or ${periods} with ${plan.devices.length} boards`,
  );
  return `${lines.join('\n')}\n`;
}
