// Config schemas of the commands, with their defaults. The environment delivers strings, so
// numbers are parsed from text (strictly); ids are checked with the protocol's own rule.

import { z } from 'zod';
import { ENCODINGS, idProblem } from '../protocol/index.js';
import { BACKENDS } from '../runtime/backend.js';

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${problem}` });
});
const brokerUrl = z
  .string()
  .regex(/^(mqtts?|wss?|tcp):\/\/.+/, 'must be a broker URL such as mqtt://127.0.0.1:1883');
const encoding = z.enum(ENCODINGS as ['cbor', 'json']);

/**
 * A number that may arrive as text (environment, command line). Blank text, null and booleans
 * are refused instead of being coerced to 0 or 1, which would silently change what runs.
 */
const numberFrom = (schema: z.ZodNumber) =>
  z.preprocess((value) => {
    if (typeof value !== 'string' || value.trim() === '') return value;
    const parsed = Number(value);
    return Number.isNaN(parsed) ? value : parsed;
  }, schema);
/** A boolean that may arrive as text: true/false or 1/0 only, anything else is an error. */
export const booleanFlag = z.preprocess(
  (value) => {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return value;
  },
  z.boolean({ error: (issue) => `expected true or false, got ${JSON.stringify(issue.input)}` }),
);

const number = () => z.number({ error: (issue) => `expected a number, got ${JSON.stringify(issue.input)}` });

export const agentSchema = z.object({
  broker: brokerUrl.default('mqtt://127.0.0.1:1883'),
  fleet: id.default('default'),
  device: id,
  sensor: z.string().min(1, 'give a sensor as <kind>[:<board>], e.g. simulated:rpi4'),
  model: z.string().min(1, 'give the path of a TensorFlow.js model.json or its folder'),
  rate: numberFrom(number().min(0).max(10_000)).default(10),
  count: numberFrom(number().int().min(0)).default(0),
  stateDir: z.string().optional(),
  batchMax: numberFrom(number().int().min(1).max(1000)).default(50),
  flushMs: numberFrom(number().int().min(10)).default(1000),
  encoding: encoding.default('cbor'),
  backend: z.enum(BACKENDS).optional(),
  batchSize: numberFrom(number().int().min(1).max(1024)).default(1),
  username: z.string().optional(),
  password: z.string().optional(),
});

export const collectorSchema = z.object({
  broker: brokerUrl.default('mqtt://127.0.0.1:1883'),
  store: z.string().default('sqlite:.edgewatt/edgewatt.sqlite'),
  clientId: id.optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  statsInterval: numberFrom(number().min(0)).default(30),
});

export const demoSchema = z.object({
  duration: numberFrom(number().min(0)).default(0),
  interval: numberFrom(number().min(0.5)).default(3),
  rate: numberFrom(number().min(0.1).max(1000)).default(5),
  dataDir: z.string().default('.edgewatt/demo'),
  encoding: encoding.default('cbor'),
  backend: z.enum(BACKENDS).optional(),
});

export const exportSchema = z.object({
  store: z.string().min(1, 'give the store to read, e.g. sqlite:.edgewatt/edgewatt.sqlite'),
  format: z.enum(['csv', 'jsonl']).default('csv'),
  out: z.string().optional(),
});
