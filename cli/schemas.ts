// Option schemas of agent, collector, demo and export: one zod object per command, each field with
// its default and help (cli/schemas/fields.ts). Flags, help, EDGEWATT_* variables and config-file
// keys are all derived from these (cli/options.ts, cli/config.ts); nothing else restates them.

import { z } from 'zod';
import { WARMUP_CAP, WARMUP_MIN } from '../agent/measure/warmup.js';
import { storesThatCan } from '../collector/store/index.js';
import { ENCODINGS, idProblem } from '../protocol/index.js';
import { BACKENDS } from '../runtime/backend.js';
import { MODEL_BACKENDS } from '../runtime/backend-choice.js';
import { agentApiFields } from './schemas/agent-api.js';
import { agentDeployFields } from './schemas/agent-deploy.js';
import { agentModelFields } from './schemas/agent-models.js';
import { agentPlacementFields } from './schemas/agent-placement.js';
import { agentReliabilityFields } from './schemas/agent-reliability.js';
import { collectorDeployFields } from './schemas/collector-deploy.js';
import { collectorHttpFields } from './schemas/compare.js';
import { collectorRolloutFields } from './schemas/deploy.js';
import { int, num, oneOf, option, text } from './schemas/fields.js';
import { ingestFields } from './schemas/ingest.js';
import { collectorPlacementFields } from './schemas/placement.js';

export const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${problem}` });
});
const brokerUrl = z
  .string()
  .regex(/^(mqtts?|wss?|tcp):\/\/.+/, 'must be a broker URL such as mqtt://127.0.0.1:1883');
export const encoding = () =>
  option(oneOf(ENCODINGS as ['cbor', 'json']).default('cbor'), { help: 'payload encoding' });
const backend = () =>
  option(oneOf(BACKENDS).optional(), {
    help: 'start the backend search here',
    defaultHelp: `${BACKENDS.join(', then ')}`,
  });

/** Where a publishing process (agent, bridge) keeps its spool, and how it batches: one spelling for both. */
export const publishFields = (component: 'agent' | 'bridge') => ({
  stateDir: option(z.string().optional(), {
    arg: 'path',
    help: 'sequence counter and outbox',
    defaultHelp: `.edgewatt/${component}/<fleet>/<device>`,
  }),
  batchMax: option(int({ min: 1, max: 1000 }).default(50), {
    arg: 'n',
    help: 'records per MQTT message at most',
  }),
  flushMs: option(int({ min: 10 }).default(1000), {
    arg: 'ms',
    help: 'longest a record waits before it is sent',
  }),
  encoding: encoding(),
});

/** Broker options that agent and collector share, spelled the same. */
export const brokerFields = {
  broker: option(brokerUrl.default('mqtt://127.0.0.1:1883'), {
    arg: 'url',
    help: 'MQTT broker URL',
    endpoint: 'broker',
  }),
  username: option(z.string().optional(), { arg: 'name', help: 'broker user name' }),
  password: option(z.string().optional(), {
    arg: 'secret',
    help: 'broker password (prefer EDGEWATT_PASSWORD)',
    secret: true,
  }),
};

export const agentSchema = z.object({
  ...brokerFields,
  fleet: option(id.default('default'), { arg: 'id', help: 'fleet id' }),
  device: option(id, { arg: 'id', help: 'device id, unique in the fleet' }),
  sensor: option(text('give a sensor as <kind>[:<board>], e.g. simulated:rpi4'), {
    arg: 'kind[:board][:key=value,...]',
    help:
      'power source: ina219, ina226, jetson-ina3221, rapl, pi5-pmic, replay or simulated, e.g. ' +
      'jetson-ina3221:jetson-orin-nano, ina219:rpi4:address=0x41,shuntOhms=0.1, simulated:rpi4 (an estimate); ' +
      '`edgewatt doctor` says which to use',
  }),
  model: option(text('give the path of a TensorFlow.js model.json or its folder'), {
    arg: 'path',
    help: 'TensorFlow.js model.json or its folder',
  }),
  rate: option(num({ min: 0, max: 10_000 }).default(10), {
    arg: 'per-s',
    help: 'inferences per second, 0 = back to back',
  }),
  count: option(int({ min: 1 }).optional(), {
    arg: 'n',
    help: 'stop after n inferences',
    defaultHelp: 'run until stopped',
    deprecatedValues: { '0': undefined },
  }),
  warmup: option(int({ min: 0, max: 100_000 }).optional(), {
    arg: 'n',
    help: 'inferences run before the first measured one and never published (graph compilation, caches); 0 = none',
    defaultHelp: `until latency settles: at least ${WARMUP_MIN}, at most ${WARMUP_CAP}`,
  }),
  ...publishFields('agent'),
  backend: option(oneOf(MODEL_BACKENDS).optional(), {
    help: 'where the TF.js backend search starts, or the ONNX runtime of an ONNX model (onnx-wasm forces the WebAssembly build)',
    defaultHelp: `TF.js ${BACKENDS.join(', then ')}; ONNX onnx-cpu, then onnx-wasm`,
  }),
  batchSize: option(int({ min: 1, max: 1024 }).default(1), { arg: 'n', help: 'inputs per inference call' }),
  ...agentReliabilityFields,
  ...agentModelFields,
  ...agentApiFields,
  ...agentDeployFields,
  ...agentPlacementFields,
});

export const collectorSchema = z.object({
  ...brokerFields,
  store: option(z.string().default('sqlite:.edgewatt/edgewatt.sqlite'), {
    arg: 'url',
    help: `where records go: ${storesThatCan('writeRecords')}`,
    endpoint: 'store',
  }),
  clientId: option(id.optional(), {
    arg: 'id',
    help: 'fixed MQTT client id: a persistent session, so the broker keeps messages while the collector is down',
  }),
  statsInterval: option(num({ min: 0 }).default(30), {
    arg: 's',
    help: 'log ingest counters every s seconds, 0 = never',
  }),
  ...collectorDeployFields,
  ...ingestFields,
  ...collectorHttpFields,
  ...collectorRolloutFields,
  ...collectorPlacementFields,
});

export const demoSchema = z.object({
  duration: option(num({ min: 0 }).default(0), {
    arg: 's',
    help: 'stop after s seconds, 0 = run until Ctrl-C',
  }),
  interval: option(num({ min: 0.5 }).default(3), { arg: 's', help: 'seconds between tables' }),
  rate: option(num({ min: 0.1, max: 1000 }).default(5), {
    arg: 'per-s',
    help: 'inferences per second per device',
  }),
  dataDir: option(z.string().default('.edgewatt/demo'), {
    arg: 'path',
    help: 'demo files: model, SQLite store, agent state; reset every run',
  }),
  encoding: encoding(),
  backend: backend(),
});

export const exportSchema = z.object({
  store: option(text('give the store to read, e.g. sqlite:.edgewatt/edgewatt.sqlite'), {
    arg: 'url',
    help: `store to read: ${storesThatCan('readRecords')}`,
    endpoint: 'store',
  }),
  format: option(oneOf(['csv', 'jsonl']).default('csv'), { help: 'output format' }),
  out: option(z.string().optional(), { arg: 'path', help: 'file to write', defaultHelp: 'standard output' }),
  kind: option(oneOf(['inference', 'offload']).default('inference'), {
    help: 'which records: inference records, or offload records (inputs sent to an inference server)',
  }),
});
