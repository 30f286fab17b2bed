// Option schema of `edgewatt compare`, and the HTTP API options that `edgewatt collector` adds
// (--http, --scenarios, --api-token). Flags, help, EDGEWATT_* variables and config keys derive from them.

import { z } from 'zod';
import { parseListen } from '../../collector/api/listen.js';
import { storesThatCan } from '../../collector/store/index.js';
import { int, onOff, option, text } from './fields.js';

/** compare --models, and the same folder for the collector's POST /v1/compare. */
const modelsField = () =>
  option(z.string().min(1).default('models/zoo'), {
    arg: 'dir',
    help: "model folders (or one model folder) whose manifests give the training energy of a scenario's device.model / datacenter.model",
  });

export const compareSchema = z.object({
  scenario: option(
    text('give the scenario file (YAML or JSON), e.g. examples/scenarios/pi4-wifi-gpu.yaml').optional(),
    { arg: 'file', help: 'scenario file, YAML or JSON (see examples/scenarios/ and docs/methodology.md)' },
  ),
  json: onOff('print the result as JSON instead of text'),
  profiles: onOff('list the boards, links, servers, PUE classes and grid regions a scenario can name'),
  samples: option(int({ min: 1, max: 1_000_000 }).optional(), {
    arg: 'n',
    help: "Monte Carlo draws, overriding the scenario's `samples` (1 = central values only)",
  }),
  seed: option(int({ min: 0, max: 2 ** 32 - 1 }).optional(), {
    arg: 'n',
    help: "random seed, overriding the scenario's `seed`",
  }),
  store: option(z.string().default('sqlite:.edgewatt/edgewatt.sqlite'), {
    arg: 'url',
    help: `store read for \`measured\` device values: ${storesThatCan('readRecords')}`,
    endpoint: 'store',
  }),
  models: modelsField(),
  /** Store the result is also written to (measurement `comparison`). */
  record: option(text('give a store URL, e.g. influxdb://127.0.0.1:8086/edgewatt').optional(), {
    arg: 'url',
    help: `also write the result (per inference) to this store: ${storesThatCan('writeComparisons')}`,
    endpoint: 'store',
  }),
});

/** `edgewatt collector --http`: where the HTTP API listens (off unless given) and its scenarios folder. */
export const collectorHttpFields = {
  http: option(
    z
      .string()
      .refine(
        (value) => parseListen(value) !== null,
        'expected host:port, [v6-host]:port or a port, e.g. 127.0.0.1:8787',
      )
      .optional(),
    {
      arg: 'host:port',
      help: 'serve the HTTP API (GET/POST /v1/compare, /metrics) there, e.g. 127.0.0.1:8787',
      defaultHelp: 'off',
      endpoint: 'listen',
    },
  ),
  scenarios: option(z.string().min(1).default('.edgewatt/scenarios'), {
    arg: 'dir',
    help: 'stored scenarios for GET /v1/compare?scenario=<name>',
  }),
  /** The API's compare --models: the folder is the collector's, never a path a request names. */
  models: modelsField(),
  /** Bearer token that routes which write (POST /v1/compare?record=true) require; none = they are refused. */
  apiToken: option(z.string().min(16, 'use at least 16 characters, e.g. `openssl rand -hex 24`').optional(), {
    arg: 'secret',
    help: 'bearer token for API routes that write (POST /v1/compare?record=true); without it they are refused (prefer EDGEWATT_API_TOKEN)',
    secret: true,
  }),
};
