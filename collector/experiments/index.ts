// Experiments' public face: read a file, plan, start (into the state database the collector drives),
// report status, stop, analyse. The CLI and the collector call these; the pieces live beside.

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseScenario, type Scenario } from '../lifecycle/index.js';
import { optionalCapability, type RecordReader, type Store } from '../store/index.js';
import { analyseStore } from './analyse.js';
import type { AnalysisResult } from './analysis-result.js';
import { type AssignmentPort, type BoardPort, ExperimentDriver, scheduleOfStored } from './driver.js';
import { type Experiment, ExperimentFileError, parseExperiment } from './experiment-file.js';
import { resolveDevices } from './plan.js';
import { ExperimentDb, type StoredExperiment } from './state-db.js';

export { type AnalysisResult, analysisResultSchema } from './analysis-result.js';
export { ExperimentDriver } from './driver.js';
export { type Experiment, ExperimentFileError, parseExperiment } from './experiment-file.js';
export { formatAnalysis } from './format.js';
export { formatPlan, type Plan, planExperiment } from './plan.js';
export { ExperimentDb } from './state-db.js';

export const EXPERIMENTS_DB = 'experiments.sqlite';

export const experimentsDbPath = (dataDir: string): string => join(dataDir, EXPERIMENTS_DB);

/** Reads and validates an experiment file; a relative lifecycle.scenario is made relative to the file. */
export async function readExperimentFile(path: string): Promise<Experiment> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ExperimentFileError(`${path}: cannot be read (${(error as Error).message})`);
  }
  const experiment = parseExperiment(text, path);
  const scenario = experiment.lifecycle?.scenario;
  if (scenario !== undefined && !isAbsolute(scenario)) {
    return { ...experiment, lifecycle: { scenario: resolve(dirname(path), scenario) } };
  }
  return experiment;
}

/** Records the experiment as running from `atMs`: the collector's driver publishes its assignments. */
export async function startExperiment(
  db: ExperimentDb,
  experiment: Experiment,
  reader: RecordReader | null,
  nowMs: number,
  atMs = nowMs,
): Promise<StoredExperiment> {
  const devices = await resolveDevices(experiment, reader);
  return db.create(experiment, devices, nowMs, atMs);
}

export interface ExperimentStatus {
  id: string;
  state: StoredExperiment['state'];
  reason: string | null;
  startedAt: string;
  plannedEnd: string;
  endedAt: string | null;
  /** The period running now (0-based), or null before the start / after the end. */
  currentPeriod: number | null;
  boards: {
    device: string;
    scheduledArm: string | null;
    assignedArm: string | null;
    assignedAt: string | null;
    /** When the collector put the board back after the end (model, tags, placement), and how; null: not yet. */
    restoredAt: string | null;
    restore: string | null;
  }[];
  stoppedArms: { arm: string; reason: string; at: string }[];
  assignmentsPublished: number;
}

export function experimentStatus(db: ExperimentDb, id: string, nowMs: number): ExperimentStatus {
  const stored = db.require(id);
  const { experiment } = stored;
  const periodMs = experiment.periodS * 1000;
  const index = Math.floor((nowMs - stored.startedAtMs) / periodMs);
  const live = stored.state === 'running' && index >= 0 && index < experiment.periods;
  const schedule = scheduleOfStored(stored);
  const assignments = db.assignments(id);
  const before = new Map(db.boardsBefore(id).map((b) => [b.device, b]));
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id,
    state: stored.state,
    reason: stored.reason,
    startedAt: iso(stored.startedAtMs),
    plannedEnd: iso(stored.startedAtMs + experiment.periods * periodMs),
    endedAt: stored.endedAtMs === null ? null : iso(stored.endedAtMs),
    currentPeriod: live ? index : null,
    boards: stored.devices.map((device) => {
      const last = assignments.filter((a) => a.device === device).at(-1);
      return {
        device,
        scheduledArm: live
          ? (schedule.find((p) => p.device === device && p.period === index)?.arm ?? null)
          : null,
        assignedArm: last?.arm ?? null,
        assignedAt: last === undefined ? null : iso(last.publishedAtMs),
        restoredAt: (() => {
          const at = before.get(device)?.restoredAtMs;
          return at === undefined || at === null ? null : iso(at);
        })(),
        restore: before.get(device)?.restoreNote ?? null,
      };
    }),
    stoppedArms: db.armStops(id).map((s) => ({ arm: s.arm, reason: s.reason, at: iso(s.atMs) })),
    assignmentsPublished: assignments.length,
  };
}

export function formatStatus(s: ExperimentStatus): string {
  const lines = [
    `experiment ${s.id}: ${s.state}${s.reason === null ? '' : ` (${s.reason})`}; started ${s.startedAt}, planned end ${s.plannedEnd}${s.endedAt === null ? '' : `, ended ${s.endedAt}`}`,
    `period now: ${s.currentPeriod === null ? '—' : s.currentPeriod + 1}; assignments published: ${s.assignmentsPublished}`,
    ...s.boards.map(
      (b) =>
        `  ${b.device.padEnd(16)} scheduled ${b.scheduledArm ?? '—'}, last assigned ${b.assignedArm ?? '—'}${b.assignedAt === null ? '' : ` at ${b.assignedAt}`}${b.restoredAt === null ? (s.state === 'running' ? '' : '; not restored yet (the collector does it)') : `; restored at ${b.restoredAt}: ${b.restore}`}`,
    ),
    ...s.stoppedArms.map((a) => `  arm ${a.arm} stopped at ${a.at}: ${a.reason}`),
  ];
  return `${lines.join('\n')}\n`;
}

export interface AnalyseOptions {
  replicates?: number;
  /** A scenario file overriding the experiment's. */
  scenarioPath?: string;
}

/**
 * Analyses a stored experiment from `reader`, and its offload arms from the same store's offload
 * records when it holds them (readOffload): without them an offload arm has only edge records.
 */
export async function analyseExperiment(
  db: ExperimentDb,
  reader: Store & RecordReader,
  id: string,
  options: AnalyseOptions = {},
): Promise<AnalysisResult> {
  const stored = db.require(id);
  const path = options.scenarioPath ?? stored.experiment.lifecycle?.scenario;
  let scenario: { scenario: Scenario; name: string } | undefined;
  if (path !== undefined) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ExperimentFileError(`scenario ${path}: cannot be read (${(error as Error).message})`);
    }
    scenario = { scenario: parseScenario(text, path), name: path };
  }
  return analyseStore(
    reader,
    {
      experiment: stored.experiment,
      devices: stored.devices,
      startedAtMs: stored.startedAtMs,
      endedAtMs: stored.endedAtMs,
      ...(options.replicates === undefined ? {} : { replicates: options.replicates }),
      ...(scenario === undefined ? {} : { scenario }),
    },
    optionalCapability(reader, 'readOffload'),
  );
}

/** For `edgewatt collector`: drives the experiments of `<dataDir>/experiments.sqlite` through `port`. */
export function startExperimentDriver(options: {
  dataDir: string;
  port: AssignmentPort;
  /** Placement commands and restoring boards when an experiment ends. */
  boards?: BoardPort | undefined;
  reader?: RecordReader | undefined;
  tickMs?: number;
}): { db: ExperimentDb; driver: ExperimentDriver; close(): Promise<void> } {
  const db = new ExperimentDb(experimentsDbPath(options.dataDir));
  const driver = new ExperimentDriver({
    db,
    port: options.port,
    ...(options.boards === undefined ? {} : { boards: options.boards }),
    ...(options.reader === undefined ? {} : { reader: options.reader }),
  });
  driver.start(options.tickMs ?? 1000);
  return {
    db,
    driver,
    async close() {
      await driver.close();
      db.close();
    },
  };
}
