// Option schemas of `edgewatt experiment plan|start|status|stop|analyse` (zod, defaults in code).
// Flags, help, EDGEWATT_* variables and config keys (section "experiment") derive from them.

import { z } from 'zod';
import { storesThatCan } from '../../collector/store/index.js';
import { int, onOff, option, text } from './fields.js';

const store = () =>
  option(z.string().default('sqlite:.edgewatt/edgewatt.sqlite'), {
    arg: 'url',
    help: `store the records are read from: ${storesThatCan('readRecords')}`,
    endpoint: 'store',
  });
/** The collector's data folder: experiments.sqlite sits next to its deploy.sqlite and registry. */
const dataDir = () =>
  option(z.string().min(1).default('.edgewatt/collector'), {
    arg: 'dir',
    help: "the collector's data folder (--data-dir of `edgewatt collector`): experiments.sqlite holds the experiments it drives",
  });
const json = () => onOff('print JSON');

export const experimentPlanSchema = z.object({
  store: store(),
  json: json(),
});

export const experimentStartSchema = z.object({
  dataDir: dataDir(),
  store: store(),
  at: option(text('give an ISO 8601 time, e.g. 2026-11-28T14:00:00Z').optional(), {
    arg: 'time',
    help: 'when the first period starts (ISO 8601)',
    defaultHelp: 'now',
  }),
  json: json(),
});

export const experimentStatusSchema = z.object({
  dataDir: dataDir(),
  json: json(),
});

export const experimentStopSchema = z.object({
  dataDir: dataDir(),
  reason: option(z.string().min(1).default('stopped by hand'), {
    arg: 'text',
    help: 'why (kept with the experiment)',
  }),
});

export const experimentAnalyseSchema = z.object({
  dataDir: dataDir(),
  store: store(),
  json: json(),
  replicates: option(int({ min: 100, max: 1_000_000 }).default(9999), {
    arg: 'n',
    help: 'bootstrap resamples of the boards (scipy’s default; seeded by the experiment’s seed)',
  }),
  scenario: option(z.string().min(1).optional(), {
    arg: 'file',
    help: "life-cycle scenario for carbon per inference, overriding the experiment file's lifecycle.scenario",
    defaultHelp: 'the built-in one (an assumption, said in the output)',
  }),
});

export const EXPERIMENT_SCHEMAS = {
  experimentPlanSchema,
  experimentStartSchema,
  experimentStatusSchema,
  experimentStopSchema,
  experimentAnalyseSchema,
};
