// Config schema of `edgewatt compare`. Values may come from flags, EDGEWATT_* variables or a
// --config file (section "compare"); the environment delivers text, so booleans are parsed strictly.

import { z } from 'zod';
import { parseListen } from '../../collector/api/server.js';
import { booleanFlag } from '../schemas.js';

const flag = booleanFlag;

const integer = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    z
      .number({ error: (issue) => `expected a whole number, got ${JSON.stringify(issue.input)}` })
      .int()
      .min(min)
      .max(max),
  );

export const compareSchema = z.object({
  scenario: z
    .string()
    .min(1, 'give the scenario file (YAML or JSON), e.g. examples/scenarios/pi4-wifi-gpu.yaml')
    .optional(),
  json: flag.default(false),
  profiles: flag.default(false),
  samples: integer(1, 1_000_000).optional(),
  seed: integer(0, 2 ** 32 - 1).optional(),
  store: z.string().default('sqlite:.edgewatt/edgewatt.sqlite'),
  /** Store the result is also written to (measurement `comparison`); InfluxDB only. */
  record: z.string().min(1, 'give a store URL, e.g. influxdb://127.0.0.1:8086/edgewatt').optional(),
});

/** `edgewatt collector --http`: where the HTTP API listens (off unless given) and its scenarios folder. */
export const collectorHttpSchema = z.object({
  http: z
    .string()
    .refine(
      (text) => parseListen(text) !== null,
      'expected host:port, [v6-host]:port or a port, e.g. 127.0.0.1:8787',
    )
    .optional(),
  scenarios: z.string().min(1).default('.edgewatt/scenarios'),
  /** Bearer token that routes which write (POST /v1/compare?record=true) require; none = they are refused. */
  apiToken: z.string().min(16, 'use at least 16 characters, e.g. `openssl rand -hex 24`').optional(),
});
