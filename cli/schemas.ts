// Config schemas of the commands, with their defaults. The environment delivers strings, so
// numbers are coerced; ids are checked with the protocol's own rule.

import { z } from 'zod';
import { BACKENDS } from '../agent/runtime/backend.js';
import { ENCODINGS, idProblem } from '../protocol/index.js';

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${problem}` });
});
const brokerUrl = z
  .string()
  .regex(/^(mqtts?|wss?|tcp):\/\/.+/, 'must be a broker URL such as mqtt://127.0.0.1:1883');
const encoding = z.enum(ENCODINGS as ['cbor', 'json']);

export const agentSchema = z.object({
  broker: brokerUrl.default('mqtt://127.0.0.1:1883'),
  fleet: id.default('default'),
  device: id,
  sensor: z.string().min(1, 'give a sensor as <kind>[:<board>], e.g. simulated:rpi4'),
  model: z.string().min(1, 'give the path of a TensorFlow.js model.json or its folder'),
  rate: z.coerce.number().min(0).max(10_000).default(10),
  count: z.coerce.number().int().min(0).default(0),
  stateDir: z.string().optional(),
  batchMax: z.coerce.number().int().min(1).max(1000).default(50),
  flushMs: z.coerce.number().int().min(10).default(1000),
  encoding: encoding.default('cbor'),
  backend: z.enum(BACKENDS).optional(),
  batchSize: z.coerce.number().int().min(1).max(1024).default(1),
  username: z.string().optional(),
  password: z.string().optional(),
});

export const collectorSchema = z.object({
  broker: brokerUrl.default('mqtt://127.0.0.1:1883'),
  store: z.string().default('sqlite:.edgewatt/edgewatt.sqlite'),
  clientId: id.optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  statsInterval: z.coerce.number().min(0).default(30),
});

export const demoSchema = z.object({
  duration: z.coerce.number().min(0).default(0),
  interval: z.coerce.number().min(0.5).default(3),
  rate: z.coerce.number().min(0.1).max(1000).default(5),
  dataDir: z.string().default('.edgewatt/demo'),
  encoding: encoding.default('cbor'),
  backend: z.enum(BACKENDS).optional(),
});

export const exportSchema = z.object({
  store: z.string().min(1, 'give the store to read, e.g. sqlite:.edgewatt/edgewatt.sqlite'),
  format: z.enum(['csv', 'jsonl']).default('csv'),
  out: z.string().optional(),
});
