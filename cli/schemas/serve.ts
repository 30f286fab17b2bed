// Options of `edgewatt serve`, the datacenter side of offload (issue 16): where it listens (TLS),
// the model and its trust, dynamic batching, device credentials, the server's identity for the
// collector's pricing (id, grid region, PUE class) and its energy meter. Flags, help, EDGEWATT_*
// variables and the config-file section "serve" derive from this one schema.

import { hostname } from 'node:os';
import { z } from 'zod';
import { parseApiListen } from '../../agent/api/listen.js';
import { GRID_REGIONS, PUE_CLASSES } from '../../collector/lifecycle/profiles/index.js';
import { BACKENDS } from '../../runtime/backend.js';
import { ENERGY_METERS } from '../../serve/energy/index.js';
import { agentModelFields } from './agent-models.js';
import { pemFile } from './agent-reliability.js';
import { int, num, oneOf, onOff, option, size, text } from './fields.js';

export const DEFAULT_SERVE_LISTEN = '127.0.0.1:8790';

export const serveSchema = z.object({
  model: option(
    text(
      'give the model: a TensorFlow.js model.json or its folder, or an .onnx file or a folder with model.onnx',
    ),
    {
      arg: 'path',
      help: 'model to serve: TensorFlow.js model.json or its folder, or an .onnx file (or a folder holding model.onnx)',
    },
  ),
  ...agentModelFields,
  backend: option(oneOf(BACKENDS).optional(), {
    help: 'TensorFlow.js backend to start the search at (ONNX models use onnxruntime-node, else onnxruntime-web)',
    defaultHelp: `${BACKENDS.join(', then ')}`,
  }),
  listen: option(
    z
      .string()
      .refine((value) => parseApiListen(value)?.kind === 'tcp', 'expected host:port or a port')
      .default(DEFAULT_SERVE_LISTEN),
    {
      arg: 'host:port',
      help: 'address to serve POST /v1/infer, GET /v1/status and GET /metrics on',
      endpoint: 'listen',
    },
  ),
  tlsCert: option(pemFile().optional(), { arg: 'pem', help: 'certificate chain: serve HTTPS' }),
  tlsKey: option(pemFile().optional(), { arg: 'pem', help: 'private key of --tls-cert' }),
  credentials: option(pemFile().optional(), {
    arg: 'file',
    help: 'device credentials: lines "<device> <sha256-hex of its token>", or the Mosquitto password file provision-device writes (the broker password is the token)',
  }),
  insecureNoAuth: onOff('serve without device credentials (loopback only; development and benchmarks)'),
  maxBatchSize: option(int({ min: 1, max: 1024 }).default(16), {
    arg: 'n',
    help: 'most inputs in one model call (dynamic batching)',
  }),
  maxQueueDelayMs: option(num({ min: 0, max: 10_000 }).default(5), {
    arg: 'ms',
    help: 'longest the oldest waiting request waits for others before its batch runs',
  }),
  maxQueue: option(int({ min: 1, max: 100_000 }).default(256), {
    arg: 'n',
    help: 'requests that may wait for a batch; more are answered 429 with Retry-After',
  }),
  maxBodyBytes: option(size({ min: 1024, max: 256 * 1024 * 1024 }).prefault('8MiB'), {
    arg: 'size',
    help: 'largest request body; larger ones are answered 413',
  }),
  serverId: option(text('give the server id').optional(), {
    arg: 'id',
    help: 'server id named in every answer',
    defaultHelp: 'the host name',
  }),
  gridRegion: option(text('give the grid region id, e.g. FR or US-CAL-CISO').default('unknown'), {
    arg: 'id',
    help: `grid region id where the server runs, named in every answer so the collector can price it (the collector knows ${GRID_REGIONS.map((r) => r.id).join(', ')})`,
  }),
  pueClass: option(text('give the PUE class, e.g. hyperscale').default('industry-average'), {
    arg: 'id',
    help: `PUE class of the datacenter, named in every answer (the collector knows ${PUE_CLASSES.map((c) => c.id).join(', ')})`,
  }),
  energy: option(oneOf(ENERGY_METERS).default('auto'), {
    help: 'energy meter: RAPL, NVML (nvidia-smi), or the labelled host-power ESTIMATE; auto takes the first readable',
  }),
  hostBusyW: option(num({ above: 0, max: 100_000 }).optional(), {
    arg: 'W',
    help: 'host wall power at full CPU load, for the ESTIMATE',
    defaultHelp: 'CPUs × 10 W, an UNSOURCED assumption',
  }),
  hostIdleW: option(num({ min: 0, max: 100_000 }).optional(), {
    arg: 'W',
    help: 'host wall power at idle, for the ESTIMATE',
    defaultHelp: '0.5 × full load, pwr_server_idle_share',
  }),
});

export type ServeConfig = z.infer<typeof serveSchema>;

export const defaultServerId = () => hostname();

/** Warnings for a grid region or PUE class the collector does not know: it could not price the server. */
export function identityWarnings(config: { gridRegion: string; pueClass: string }): string[] {
  const warnings: string[] = [];
  if (config.gridRegion === 'unknown')
    warnings.push(
      '--grid-region is not set: answers say region "unknown" and the collector cannot price this server',
    );
  else if (!GRID_REGIONS.some((region) => region.id === config.gridRegion))
    warnings.push(
      `--grid-region ${config.gridRegion} is not one of the collector's grid regions (${GRID_REGIONS.map((r) => r.id).join(', ')}): a scenario must give its intensity`,
    );
  if (!PUE_CLASSES.some((pue) => pue.id === config.pueClass))
    warnings.push(
      `--pue-class ${config.pueClass} is not one of the collector's PUE classes (${PUE_CLASSES.map((c) => c.id).join(', ')})`,
    );
  return warnings;
}
