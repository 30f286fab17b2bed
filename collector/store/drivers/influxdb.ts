// Driver `influxdb://<host>:<port>/<database>`: InfluxDB 1.x for fleets (influx.ts). Writes go
// through a local write-ahead spool (hence `drain`); reads stream InfluxQL results back.

import { z } from 'zod';
import { defineDriver } from '../driver.js';
import { InfluxStore, type InfluxStoreSettings, influxUrlProblem } from '../influx.js';

const positiveInt = z.number().int().positive();

/** Every setting of InfluxStoreSettings (influx.ts documents each); unknown keys are errors. */
const options = z.strictObject({
  readOnly: z.boolean().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  tls: z.boolean().optional(),
  ca: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  spoolDir: z.string().min(1).optional(),
  spoolMaxBytes: positiveInt.optional(),
  fsync: z.boolean().optional(),
  batchLines: positiveInt.optional(),
  flushIntervalMs: positiveInt.optional(),
  retryMaxMs: positiveInt.optional(),
}) satisfies z.ZodType<InfluxStoreSettings>;

export const influxdbDriver = defineDriver({
  scheme: 'influxdb',
  shape: 'influxdb://<host>:<port>/<database>',
  example: 'influxdb://127.0.0.1:8086/edgewatt',
  summary: 'InfluxDB 1.x, for a fleet and Grafana',
  capabilities: [
    'writeRecords',
    'readRecords',
    'readOffload',
    'writeComparisons',
    'drain',
    'writeDeployments',
  ],
  options,
  locationProblem: influxUrlProblem,
  create: (location, settings) => new InfluxStore(location, settings),
});
