// `edgewatt doctor`: which board this is, which power sensors are here and usable (or why not,
// and how to fix it), and which one the agent should use: the most direct usable measurement,
// else the labelled estimate for the recognised board. The estimate is also reported on its own
// (`fallback`), so that --json says what the text says when nothing else can be used.

import { type Board, boardIds } from '../../protocol/boards/index.js';
import { SENSORS } from '../sensors/index.js';
import { runCommand } from '../sensors/pi5-pmic.js';
import type { ProbeEnv, ProbeResult } from '../sensors/sensor.js';
import { parseSensorSpec, sensorFitsBoard } from '../sensors/spec.js';
import { type BoardIdentity, identifyBoard } from './board.js';

export interface FoundSensor extends ProbeResult {
  kind: string;
  preference: number;
}

export interface DoctorChoice {
  /** The value to pass as `--sensor`. */
  spec: string;
  provenance: 'measured' | 'estimated';
  reason: string;
}

export interface DoctorReport {
  board: BoardIdentity;
  sensors: FoundSensor[];
  chosen: DoctorChoice | undefined;
  /** The labelled estimate: the recognised board's, else `simulated:<board>` with the boards to pick from. */
  fallback: DoctorChoice & { boards?: string[] };
}

export function defaultProbeEnv(root = '/'): ProbeEnv {
  return { root, run: runCommand };
}

/** Puts the board id into a probe's spec, `kind[:board][:options]`, when the sensor can measure that board. */
function withBoard(found: FoundSensor, board: Board | undefined): string {
  const parsed = parseSensorSpec(found.spec);
  const factory = SENSORS.find((candidate) => candidate.kind === found.kind);
  if (
    parsed === undefined ||
    board === undefined ||
    factory === undefined ||
    !sensorFitsBoard(factory, board)
  )
    return found.spec;
  const options = Object.entries(parsed.options).map(([k, v]) => `${k}=${v}`);
  return [parsed.kind, board.id, ...(options.length > 0 ? [options.join(',')] : [])].join(':');
}

function estimateFor(board: Board | undefined): DoctorReport['fallback'] {
  if (board === undefined)
    return {
      spec: 'simulated:<board>',
      provenance: 'estimated',
      reason: `no known board recognised; an estimate from the profile of the board you name, one of ${boardIds().join(', ')}`,
      boards: boardIds(),
    };
  return {
    spec: `simulated:${board.id}`,
    provenance: 'estimated',
    reason: `an estimate from the ${board.name} profile, labelled estimated; to measure instead: ${board.sensors.join(', ')}`,
  };
}

export async function runDoctor(env: ProbeEnv): Promise<DoctorReport> {
  const board = identifyBoard(env.root);
  const sensors: FoundSensor[] = [];
  for (const factory of SENSORS) {
    if (factory.probe === undefined) continue;
    let results: ProbeResult[];
    try {
      results = await factory.probe(env);
    } catch (error) {
      results = [{ spec: factory.kind, usable: false, detail: `probe failed: ${(error as Error).message}` }];
    }
    for (const result of results)
      sensors.push({ ...result, kind: factory.kind, preference: factory.preference ?? 0 });
  }
  const best = sensors.filter((s) => s.usable).sort((a, b) => b.preference - a.preference)[0];
  const fallback = estimateFor(board.profile);
  let chosen: DoctorChoice | undefined;
  if (best !== undefined)
    chosen = {
      spec: withBoard(best, board.profile),
      provenance: 'measured',
      reason: `the most direct usable power measurement here (${best.kind})`,
    };
  else if (board.profile !== undefined)
    chosen = { ...fallback, reason: `no usable power sensor; ${fallback.reason}` };
  else chosen = undefined;
  return { board, sensors, chosen, fallback };
}

function formatRails(found: FoundSensor): string[] {
  return (found.rails ?? []).map((rail) => {
    const parts = [
      rail.voltageV === undefined ? undefined : `${rail.voltageV.toFixed(3)} V`,
      rail.currentA === undefined ? undefined : `${rail.currentA.toFixed(3)} A`,
      Number.isFinite(rail.powerW) ? `${rail.powerW.toFixed(3)} W` : undefined,
    ].filter((p) => p !== undefined);
    return `      ${rail.name.padEnd(18)} ${parts.join('  ')}`;
  });
}

export function formatDoctor(report: DoctorReport): string {
  const { board } = report;
  const lines: string[] = [];
  lines.push(
    `board: ${board.model ?? 'unknown (no device-tree model or DMI product name)'}${board.modelSource ? ` (${board.modelSource})` : ''}`,
  );
  lines.push(
    `  profile: ${board.profile ? `${board.profile.id} (${board.profile.name})` : `none; known boards: ${boardIds().join(', ')}`}`,
  );
  if (board.l4t) lines.push(`  Jetson L4T ${board.l4t}${board.jetpack ? ` (JetPack ${board.jetpack})` : ''}`);
  lines.push('sensors:');
  if (report.sensors.length === 0)
    lines.push('  none found (no INA3221 in sysfs, no RAPL, no Pi 5 PMIC, no I2C bus)');
  for (const found of report.sensors) {
    const total = found.totalW === undefined ? '' : `, now ${found.totalW.toFixed(3)} W`;
    lines.push(`  ${found.usable ? 'usable  ' : 'unusable'} ${found.kind}: ${found.detail}${total}`);
    lines.push(...formatRails(found));
  }
  lines.push(
    report.chosen === undefined
      ? `agent: no sensor and no known board; run the agent with --sensor ${report.fallback.spec} (an estimate) or configure an INA219/INA226`
      : `agent will use: --sensor ${report.chosen.spec} (${report.chosen.provenance}): ${report.chosen.reason}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The report as plain JSON (the board profile reduced to its id), the estimate to fall back on included. */
export function doctorJson(report: DoctorReport): unknown {
  return {
    board: { ...report.board, profile: report.board.profile?.id ?? null },
    sensors: report.sensors,
    chosen: report.chosen ?? null,
    fallback: report.fallback,
  };
}
