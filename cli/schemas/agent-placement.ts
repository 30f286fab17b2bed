// Agent options of placement (issue 16): --placement edge|offload|auto and the offload client's
// server, token, deadline, CA, the round trip above which `auto` takes the server as slow, and
// whether a failed offload also runs on the edge. placementConfig() checks them together at start
// (offload needs a server) and reads the CA file.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { AgentConfig } from '../../agent/agent.js';
import { EdgewattError } from '../../common/errors.js';
import { PLACEMENTS, type PlacementMode } from '../../protocol/placement.js';
import { pemFile } from './agent-reliability.js';
import { int, num, oneOf, option } from './fields.js';

export class PlacementConfigError extends EdgewattError {
  override readonly name = 'PlacementConfigError';
}

export const agentPlacementFields = {
  placement: option(oneOf(PLACEMENTS as unknown as [PlacementMode, ...PlacementMode[]]).default('edge'), {
    help:
      'where inputs run: edge (this board), offload (sent to --offload-server, measured), auto (per input: ' +
      'offload while the latest comparison on cmd/placement says it emits less and the server answers within ' +
      '--offload-max-rtt-ms); a retained cmd/placement command overrides it',
  }),
  offloadServer: option(
    z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    {
      arg: 'url',
      help: 'the inference server (edgewatt serve) inputs are offloaded to, e.g. https://dc.example:8443',
    },
  ),
  offloadToken: option(z.string().min(1).optional(), {
    arg: 'secret',
    help: "this device's bearer token on the inference server (prefer EDGEWATT_OFFLOAD_TOKEN)",
    secret: true,
  }),
  offloadTimeoutMs: option(int({ min: 1, max: 600_000 }).default(5000), {
    arg: 'ms',
    help: 'longest an offloaded request may take (connection and answer); past it the record says timeout',
  }),
  offloadCa: option(pemFile().optional(), {
    arg: 'file',
    help: "CA certificate (PEM) that signed the inference server's certificate (https)",
  }),
  offloadMaxRttMs: option(int({ min: 1, max: 600_000 }).default(1000), {
    arg: 'ms',
    help: 'for auto: a round trip longer than this counts as a slow server, and inputs run on the edge for a back-off',
  }),
  offloadExplore: option(num({ min: 0, max: 1 }).default(0), {
    arg: 'share',
    help:
      'for auto: share of the inputs the comparison keeps on the board (or that have none yet) offloaded anyway, ' +
      'recorded with policy auto-explore, so that the offload side of the next comparison is measured rather than a profile ' +
      '(e.g. 0.05); collectors must know auto-explore',
  }),
  offloadFallback: option(oneOf(['edge', 'none']).optional(), {
    help: 'what else a failed offload does: edge (the input also runs here, with its own record) or none (only the failure record)',
    defaultHelp: 'edge for auto, none for offload',
  }),
};

type PlacementOptions = {
  placement: PlacementMode;
  offloadServer?: string | undefined;
  offloadToken?: string | undefined;
  offloadTimeoutMs: number;
  offloadCa?: string | undefined;
  offloadMaxRttMs: number;
  offloadFallback?: 'edge' | 'none' | undefined;
  offloadExplore: number;
};

/** The agent's placement config (checked: offload needs a server; the CA file read). */
export function placementConfig(config: PlacementOptions): NonNullable<AgentConfig['offload']> {
  if (config.placement === 'offload' && config.offloadServer === undefined)
    throw new PlacementConfigError('--placement offload needs --offload-server <url>', {
      hint: 'give the URL of edgewatt serve, e.g. --offload-server http://127.0.0.1:8080',
    });
  return {
    mode: config.placement,
    server: config.offloadServer,
    token: config.offloadToken,
    timeoutMs: config.offloadTimeoutMs,
    ca: config.offloadCa === undefined ? undefined : readFileSync(config.offloadCa, 'utf8'),
    maxRttMs: config.offloadMaxRttMs,
    fallbackToEdge: config.offloadFallback === undefined ? undefined : config.offloadFallback === 'edge',
    exploreShare: config.offloadExplore,
  };
}
