// `edgewatt experiment plan|start|status|stop|analyse|report`: field experiments on the fleet
// (docs/experiments.md). start/stop write the collector's experiments.sqlite; the collector
// (with --deployment-key) drives the schedule; analyse reads the records from the store.

import { Command } from 'commander';
import {
  analyseExperiment,
  ExperimentDb,
  experimentStatus,
  experimentsDbPath,
  formatAnalysis,
  formatPlan,
  formatStatus,
  planExperiment,
  readExperimentFile,
  startExperiment,
} from '../../collector/experiments/index.js';
import { capability, createStore, type RecordReader, type Store } from '../../collector/store/index.js';
import { resolveConfig } from '../config.js';
import { ConfigError } from '../config-error.js';
import { addSchemaOptions } from '../options.js';
import {
  experimentAnalyseSchema,
  experimentPlanSchema,
  experimentStartSchema,
  experimentStatusSchema,
  experimentStopSchema,
} from '../schemas/experiment.js';
import { experimentReportCommand } from './experiment-report.js';

const SECTION = 'experiment';
const out = (text: string) => process.stdout.write(text);
const json = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);

/** Opens the store read-only for `use`, and closes it after. */
async function withReader<T>(url: string, use: (reader: Store & RecordReader) => Promise<T>): Promise<T> {
  const store = capability(createStore(url, { readOnly: true }), 'readRecords', '--store');
  await store.connect();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** The store is opened only when the experiment needs it (a selector, or variability from data). */
const needsStore = (e: Awaited<ReturnType<typeof readExperimentFile>>): boolean =>
  e.select !== undefined ||
  e.power.periodSdRel === undefined ||
  (e.design === 'parallel' && e.power.boardSdRel === undefined);

function parseAt(text: string | undefined, nowMs: number): number {
  if (text === undefined) return nowMs;
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new ConfigError(`--at ${JSON.stringify(text)}: not an ISO 8601 time (2026-11-28T14:00:00Z)`);
  return ms;
}

export function experimentCommand(): Command {
  const experiment = new Command('experiment').description(
    'field experiments: plan (schedule, power), start, status, stop and analyse them (docs/experiments.md)',
  );

  addSchemaOptions(experiment.command('plan'), experimentPlanSchema, SECTION)
    .description('the schedule and the power analysis (minimum detectable effect) of an experiment file')
    .argument('<file>', 'experiment file (YAML or JSON)')
    .action(async (file: string, _options, command: Command) => {
      const config = await resolveConfig(experimentPlanSchema, SECTION, command);
      const e = await readExperimentFile(file);
      const plan = needsStore(e)
        ? await withReader(config.store, (reader) => planExperiment(e, reader))
        : await planExperiment(e, null);
      if (config.json) json(plan);
      else out(formatPlan(plan));
    });

  addSchemaOptions(experiment.command('start'), experimentStartSchema, SECTION)
    .description(
      'start an experiment: the collector (with --deployment-key and the same --data-dir) assigns each board its arm per period',
    )
    .argument('<file>', 'experiment file (YAML or JSON)')
    .action(async (file: string, _options, command: Command) => {
      const config = await resolveConfig(experimentStartSchema, SECTION, command);
      const e = await readExperimentFile(file);
      const now = Date.now();
      const at = parseAt(config.at, now);
      const db = new ExperimentDb(experimentsDbPath(config.dataDir));
      try {
        const stored =
          e.select !== undefined
            ? await withReader(config.store, (reader) => startExperiment(db, e, reader, now, at))
            : await startExperiment(db, e, null, now, at);
        if (config.json) json(experimentStatus(db, e.id, now));
        else {
          out(
            `experiment ${e.id} starts ${new Date(stored.startedAtMs).toISOString()} on ${stored.devices.length} board(s) (${experimentsDbPath(config.dataDir)}); the collector with --deployment-key and --data-dir ${config.dataDir} drives it\n`,
          );
        }
      } finally {
        db.close();
      }
    });

  addSchemaOptions(experiment.command('status'), experimentStatusSchema, SECTION)
    .description('where an experiment is: its period, what each board was assigned, stopped arms')
    .argument('<id>', 'experiment id')
    .action(async (id: string, _options, command: Command) => {
      const config = await resolveConfig(experimentStatusSchema, SECTION, command);
      const db = new ExperimentDb(experimentsDbPath(config.dataDir));
      try {
        const status = experimentStatus(db, id, Date.now());
        if (config.json) json(status);
        else out(formatStatus(status));
      } finally {
        db.close();
      }
    });

  addSchemaOptions(experiment.command('stop'), experimentStopSchema, SECTION)
    .description(
      'stop an experiment: no more assignments; the collector puts each board back (its pre-experiment model and placement, experiment tags cleared)',
    )
    .argument('<id>', 'experiment id')
    .action(async (id: string, _options, command: Command) => {
      const config = await resolveConfig(experimentStopSchema, SECTION, command);
      const db = new ExperimentDb(experimentsDbPath(config.dataDir));
      try {
        const stored = db.require(id);
        if (stored.state !== 'running') {
          out(`experiment ${id} is ${stored.state} already\n`);
          return;
        }
        const now = Date.now();
        db.end(id, 'stopped', now, config.reason);
        out(
          `experiment ${id} stopped at ${new Date(now).toISOString()}; its analysis ends there. The collector (same --data-dir) puts each board back: its pre-experiment model and placement, experiment tags cleared ("edgewatt experiment status ${id}" shows when)\n`,
        );
      } finally {
        db.close();
      }
    });

  addSchemaOptions(experiment.command('analyse').alias('analyze'), experimentAnalyseSchema, SECTION)
    .description(
      'which arm, by how much, how sure: paired board-level analysis with intervals, checks and carbon per inference',
    )
    .argument('<id>', 'experiment id')
    .action(async (id: string, _options, command: Command) => {
      const config = await resolveConfig(experimentAnalyseSchema, SECTION, command);
      const db = new ExperimentDb(experimentsDbPath(config.dataDir));
      try {
        const result = await withReader(config.store, (reader) =>
          analyseExperiment(db, reader, id, {
            replicates: config.replicates,
            ...(config.scenario === undefined ? {} : { scenarioPath: config.scenario }),
          }),
        );
        if (config.json) json(result);
        else out(formatAnalysis(result));
      } finally {
        db.close();
      }
    });

  experiment.addCommand(experimentReportCommand());
  return experiment;
}
