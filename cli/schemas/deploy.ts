// Option schemas of model deployment: the collector's registry and deployment-key options (part of
// `edgewatt collector`), `edgewatt registry add|list` and `edgewatt rollout start|status|pause|
// resume|abort`. Flags, help, EDGEWATT_* variables and config keys derive from them.

import { z } from 'zod';
import { pemFile } from './agent-reliability.js';
import { int, list, num, onOff, option, text } from './fields.js';

const dataDir = () =>
  option(z.string().min(1).default('.edgewatt/collector'), {
    arg: 'dir',
    help: "the collector's deployment data: registry (models by content hash), deploy.sqlite (rollouts, device reports)",
  });

/** Seconds from `90`, `90s`, `30m`, `2h`, `1d`. */
export function parseDurationS(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/i.exec(text);
  if (match === null) return null;
  const scale = { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's').toLowerCase() as 's'] ?? 1;
  return Number(match[1]) * scale;
}

export const duration = (limits: { min: number; max: number }) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? (parseDurationS(value) ?? value) : value),
    z
      .number({
        error: (issue) => `expected a duration such as 90s, 30m or 2h, got ${JSON.stringify(issue.input)}`,
      })
      .min(limits.min, `must be at least ${limits.min} s`)
      .max(limits.max, `must be at most ${limits.max} s`),
  );

/** `50%` → 0.5; also 0.5. */
const fraction = () =>
  z.preprocess(
    (value) =>
      typeof value === 'string' && value.trim().endsWith('%')
        ? Number(value.trim().slice(0, -1)) / 100
        : value,
    num({ min: 0, max: 1 }),
  );

export const collectorRolloutFields = {
  dataDir: dataDir(),
  deploymentKey: option(pemFile().optional(), {
    arg: 'pem',
    help: 'ed25519 private key that signs per-device assignments (edgewatt model keygen); without it the registry serves but nothing is assigned',
  }),
  registryPasswd: option(pemFile().optional(), {
    arg: 'file',
    help: 'Mosquitto password file (provision-device writes it): devices download models with their broker login',
  }),
  registryUrl: option(z.url({ protocol: /^https?$/ }).optional(), {
    arg: 'url',
    help: 'registry URL written into assignments, as devices reach the collector',
    defaultHelp: 'the --http address',
  }),
  httpCert: option(pemFile().optional(), {
    arg: 'pem',
    help: 'certificate chain: serve the HTTP API over TLS',
  }),
  httpKey: option(pemFile().optional(), { arg: 'pem', help: 'private key of --http-cert' }),
};

export const registryAddSchema = z.object({
  dataDir: dataDir(),
  trustedKey: option(
    list(z.string().min(1)).pipe(z.array(z.string()).min(1, 'give the public key (PEM) of the model key')),
    { arg: 'pem', help: 'model public key(s) the manifest must be signed by; comma-separate several' },
  ),
});

export const registryListSchema = z.object({
  dataDir: dataDir(),
  json: onOff('print JSON'),
});

export const api = {
  api: option(z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8787'), {
    arg: 'url',
    help: "the collector's HTTP API (its --http)",
  }),
  apiToken: option(text("give the collector's --api-token (EDGEWATT_API_TOKEN)"), {
    arg: 'secret',
    help: "the collector's API token (prefer EDGEWATT_API_TOKEN)",
    secret: true,
  }),
  apiCa: option(pemFile().optional(), { arg: 'pem', help: 'CA certificate to trust for an https:// API' }),
  json: onOff('print JSON'),
};

export const rolloutStartSchema = z.object({
  ...api,
  model: option(
    z.string().regex(/^[0-9a-f]{64}$/, 'must be a model id: 64 hex digits (edgewatt registry list)'),
    {
      arg: 'id',
      help: 'model id in the registry',
    },
  ),
  devices: option(text('give the devices: fleet/device patterns, * as wildcard, comma-separated'), {
    arg: 'selector',
    help: 'devices: fleet/device patterns with * wildcards, comma-separated (e.g. lab/*, or pi-1,pi-2)',
  }),
  canary: option(
    z
      .string()
      .regex(/^(\d{1,3}(\.\d+)?%|\d{1,6})$/, 'must be a percentage (10%) or a count (2)')
      .default('10%'),
    {
      arg: '10%|n',
      help: 'first group: a share of the devices or a count',
    },
  ),
  groups: option(list(z.string().regex(/^(\d{1,3}(\.\d+)?%|\d{1,6})$/)).default([]), {
    arg: '50%,100%',
    help: 'later groups as cumulative shares (or counts)',
    defaultHelp: 'all the rest after the canary',
  }),
  probation: option(duration({ min: 0, max: 7 * 86_400 }).prefault('30m'), {
    arg: 'duration',
    help: 'probation on the device before it commits (90s, 30m, 2h)',
  }),
  successThreshold: option(fraction().prefault('50%'), {
    arg: '50%',
    help: 'share of a group that must commit after probation before the next group starts (else the rollout pauses)',
  }),
  errorThreshold: option(fraction().prefault('50%'), {
    arg: '50%',
    help: 'abort and roll back once this share of the decided devices failed',
  }),
  minExecuted: option(int({ min: 1 }).default(3), {
    arg: 'n',
    help: 'devices decided before the error threshold can abort',
  }),
  inProgressTimeout: option(duration({ min: 1, max: 7 * 86_400 }).prefault('30m'), {
    arg: 'duration',
    help: 'a device without a terminal report this long after its probation would have ended counts as failed',
  }),
  gate: option(z.enum(['on', 'off']).default('on'), {
    arg: 'on|off',
    help: "health gate: compare each canary board's energy per inference, p95 latency and accuracy with its pre-rollout period",
  }),
  gateMargin: option(fraction().prefault('5%'), {
    arg: '5%',
    help: 'energy or p95 latency worse than this (whole 95 % interval beyond it) rolls back',
  }),
  gateAccuracyMargin: option(fraction().prefault('2%'), {
    arg: '2%',
    help: 'accuracy lower by more than these points rolls back',
  }),
  gateMinRecords: option(int({ min: 2 }).default(40), {
    arg: 'n',
    help: 'fewest records in each period for a verdict',
  }),
  gatePreWindow: option(duration({ min: 1, max: 30 * 86_400 }).prefault('1h'), {
    arg: 'duration',
    help: 'pre-rollout period read for each canary board',
  }),
  gateGrace: option(duration({ min: 0, max: 3600 }).prefault('5s'), {
    arg: 'duration',
    help: "wait after a canary's commit for its last records to reach the store",
  }),
});

export const rolloutStatusSchema = z.object({ ...api });
export const rolloutActionSchema = z.object({ ...api });

export const ROLLOUT_SCHEMAS = {
  start: rolloutStartSchema,
  status: rolloutStatusSchema,
  action: rolloutActionSchema,
};
