// Option schemas of placement commands: the collector's auto-basis options (part of `edgewatt
// collector`) and `edgewatt placement set|clear|status`, which talk to the collector's HTTP API
// as `rollout` does. Flags, help, EDGEWATT_* variables and config keys derive from them.

import { z } from 'zod';
import { pemFile } from './agent-reliability.js';
import { api, duration } from './deploy.js';
import { onOff, option, text } from './fields.js';

export const collectorPlacementFields = {
  placementScenario: option(pemFile().optional(), {
    arg: 'file',
    help: "scenario (YAML/JSON, as compare takes) the auto placement basis is computed with: its grid regions, profiles and workload; each device's measured edge and offload records replace its device and offload values where the store has them",
    defaultHelp: 'none: auto commands go without a basis (devices stay on the edge)',
  }),
  placementBasisEvery: option(duration({ min: 0, max: 7 * 86_400 }).prefault('10m'), {
    arg: 'duration',
    help: 'recompute and re-publish the basis of every auto placement command this often (0: only when a command is set)',
  }),
};

const devices = option(text('give the devices: fleet/device patterns, * as wildcard, comma-separated'), {
  arg: 'selector',
  help: 'devices: fleet/device patterns with * wildcards, comma-separated (e.g. lab/*, or pi-1,pi-2)',
});
const force = onOff('take devices a running experiment holds (it gets them back at its next period)');

export const placementSetSchema = z.object({
  ...api,
  devices,
  server: option(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(), {
    arg: 'url',
    help: "inference server the devices offload to (the command's server)",
    defaultHelp: "each agent's --offload-server",
  }),
  reason: option(z.string().min(1).max(300).optional(), {
    arg: 'text',
    help: 'one line saying why, shown in the command and the logs',
  }),
  force,
});

export const placementClearSchema = z.object({ ...api, devices, force });

export const placementStatusSchema = z.object({ ...api });

export const PLACEMENT_SCHEMAS = {
  set: placementSetSchema,
  clear: placementClearSchema,
  status: placementStatusSchema,
};
