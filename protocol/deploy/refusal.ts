// The typed error of a deployment the device will not run: its `reason` is what the device reports
// on its `deployment` topic, the message names the offending value and what to do about it.

import { EdgewattError } from '../edgewatt-error.js';
import type { DeploymentReason } from './states.js';

export class DeploymentRefusal extends EdgewattError {
  override readonly name = 'DeploymentRefusal';
  constructor(
    readonly reason: DeploymentReason,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export function isDeploymentRefusal(error: unknown): error is DeploymentRefusal {
  return error instanceof DeploymentRefusal;
}
