// InfluxDB line protocol of model deployments: each device's `deployment` report, each change of a
// device's phase in a rollout, each health-gate verdict (measurements.ts names the keys). The
// rollout dashboard (dashboards/rollouts.ts) reads them.

import {
  DEPLOYMENT_KEYS as D,
  ROLLOUT_GATE_KEYS as G,
  MEASUREMENTS,
  ROLLOUT_DEVICE_KEYS as R,
} from '../../protocol/index.js';
import type { DeploymentPoint } from './store.js';

const tag = (value: string): string => value.replace(/[,= \\\n]/g, (c) => (c === '\n' ? ' ' : `\\${c}`));
const str = (value: string): string => `"${value.replace(/[\\"]/g, '\\$&').replace(/\n/g, ' ')}"`;
const int = (value: number): string => `${Math.trunc(value)}i`;
const float = (value: number): string => (Number.isFinite(value) ? String(value) : '0');

export function deploymentLine(p: DeploymentPoint): string {
  switch (p.kind) {
    case 'report': {
      let fields = `${D.seq}=${int(p.seq)},${D.modelId}=${str(p.modelId)},${D.release}=${int(p.release)},${D.attempt}=${int(p.attempt)}`;
      if (p.reason !== undefined) fields += `,${D.reason}=${str(p.reason)}`;
      if (p.bytes !== undefined) fields += `,${D.bytes}=${int(p.bytes)}`;
      // seq in the nanoseconds keeps two reports of one microsecond apart.
      return `${MEASUREMENTS.deployment},${D.fleet}=${tag(p.fleet)},${D.device}=${tag(p.device)},${D.deploymentId}=${tag(p.deploymentId)},${D.state}=${tag(p.state)} ${fields} ${p.atUs * 1000 + (p.seq % 1000)}`;
    }
    case 'phase':
      return `${MEASUREMENTS.rolloutDevice},${R.rollout}=${tag(p.rolloutId)},${R.fleet}=${tag(p.fleet)},${R.device}=${tag(p.device)},${R.group}=${p.group} ${R.phase}=${str(p.phase)},${R.phaseCode}=${int(p.phaseCode)},${R.succeeded}=${int(p.succeeded ? 1 : 0)},${R.failed}=${int(p.failed ? 1 : 0)} ${p.atMs * 1_000_000}`;
    case 'gate':
      return `${MEASUREMENTS.rolloutGate},${G.rollout}=${tag(p.rolloutId)},${G.fleet}=${tag(p.fleet)},${G.device}=${tag(p.device)},${G.metric}=${tag(p.metric)} ${G.pre}=${float(p.pre)},${G.post}=${float(p.post)},${G.change}=${float(p.change)},${G.low}=${float(p.low)},${G.high}=${float(p.high)},${G.margin}=${float(p.margin)},${G.regressed}=${p.regressed ? 'true' : 'false'} ${p.atMs * 1_000_000}`;
  }
}
