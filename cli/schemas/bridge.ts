// Options of `edgewatt bridge`: the monitor and device-under-test ports, the model the board runs,
// and the same broker, spool and fleet options as the agent (the bridge publishes like one).

import { z } from 'zod';
import { MONITOR_KINDS, parseMonitorSpec } from '../../firmware-bridge/monitor-spec.js';
import { brokerFields, id, publishFields } from '../schemas.js';
import { agentReliabilityFields } from './agent-reliability.js';
import { int, num, oneOf, option, text } from './fields.js';

const monitorSpec = z.string().superRefine((value, ctx) => {
  try {
    parseMonitorSpec(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

export const bridgeSchema = z.object({
  ...brokerFields,
  fleet: option(id.default('default'), { arg: 'id', help: 'fleet id' }),
  device: option(id, { arg: 'id', help: 'device id of the microcontroller board, unique in the fleet' }),
  monitor: option(monitorSpec, {
    arg: 'kind:port[@baud]',
    help: `power monitor: ${Object.keys(MONITOR_KINDS).join(', ')}, e.g. ewfw:/dev/ttyACM0 (edgewatt's reference firmware)`,
  }),
  model: option(text('give the name of the model the board runs, e.g. kws01'), {
    arg: 'name',
    help: 'model the board runs (its variant name in records)',
  }),
  modelFile: option(z.string().optional(), {
    arg: 'path',
    help: "the model artifact flashed on the board; its SHA-256 becomes the records' modelId",
    defaultHelp: 'the SHA-256 of the model name (logged as such)',
  }),
  windowInferences: option(int({ min: 1, max: 1_000_000 }).default(1), {
    arg: 'n',
    help: 'inferences the board runs between two edges of its window pin',
  }),
  board: option(z.string().optional(), { arg: 'id', help: 'board profile id, e.g. esp32' }),
  dut: option(z.string().optional(), {
    arg: 'port[@baud]',
    help: 'with --monitor lpm01a: the MLPerf Tiny device under test (9600 baud in energy mode)',
  }),
  voltageMv: option(int({ min: 800, max: 5000 }).default(3300), {
    arg: 'mV',
    help: 'supply voltage the monitor gives the board (LPM01A: 1800-3300; PPK2: 800-5000)',
  }),
  ppk2Mode: option(oneOf(['source', 'ampere']).default('source'), {
    help: 'with --monitor ppk2: source meter (the PPK2 powers the board) or ampere meter (in series)',
  }),
  monitorAccuracy: option(num({ min: 0, max: 1 }).optional(), {
    arg: 'fraction',
    help: "the monitor's relative accuracy, reported as each record's uncertainty (e.g. 0.02 for ±2 %)",
    defaultHelp:
      'ewfw: what the firmware states; lpm01a: an assumed 0.02; ppk2: an assumed 0.1; both said so in the log',
  }),
  runs: option(int({ min: 0 }).default(0), {
    arg: 'n',
    help: 'with --monitor lpm01a: energy-mode runs (5 windows of at least 10 s each) to do, 0 = until stopped',
  }),
  resultsDir: option(z.string().optional(), {
    arg: 'path',
    help: 'with --monitor lpm01a: where each run is written as an MLPerf Tiny results folder (edgewatt measure replay reads it)',
    defaultHelp: '<state-dir>/mlperf',
  }),
  ...publishFields('bridge'),
  ...agentReliabilityFields,
});
