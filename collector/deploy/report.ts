// A device's `deployment` status message as the collector keeps it: the wire message (protocol
// kind `deployment`) plus the fleet from its topic. Which states end a deployment, and how.

import { type DeploymentState, TERMINAL_DEPLOYMENT_STATES } from '../../protocol/deploy/states.js';

export interface DeploymentReport {
  fleet: string;
  device: string;
  /** The device's own counter of deployment messages (redeliveries are dropped by it). */
  seq: number;
  /** When the device sent it, µs since the epoch (device clock). */
  atUs: number;
  deploymentId: string;
  modelId: string;
  release: number;
  state: DeploymentState;
  reason?: string;
  detail?: string;
  bytes?: number;
  previousModelId?: string;
  attempt: number;
}

/** States after which the device does nothing more for a deployment. */
export const TERMINAL_STATES: ReadonlySet<DeploymentState> = new Set(TERMINAL_DEPLOYMENT_STATES);

export function isTerminal(state: DeploymentState): boolean {
  return TERMINAL_STATES.has(state);
}
