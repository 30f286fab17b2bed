// The deployment hook (agent --deploy-hook <executable>), Mender's state scripts for a model: run
// on entering every deployment state with the state, model id and deployment id as arguments
// (and EDGEWATT_DEPLOY_* variables). Exit 0 lets the state go on; anything else fails it
// (reason `hook-failed`, the exit in the detail). What operators use it for: hold a deployment
// while an experiment window is open, check the board's temperature, stop a companion service.
// Because a power loss reruns a state, a hook must be idempotent (Mender's lesson).

import { execFile } from 'node:child_process';
import { DeploymentRefusal } from '../../protocol/deploy/index.js';
import type { ActiveDeployment, ActivePhase } from './journal.js';
import type { PhaseHook } from './machine.js';

/** Longest a hook may run: an hour, Mender's state_script_timeout_seconds. */
export const DEPLOY_HOOK_TIMEOUT_MS = 3_600_000;

export function commandHook(path: string, timeoutMs = DEPLOY_HOOK_TIMEOUT_MS): PhaseHook {
  return (phase: ActivePhase, active: ActiveDeployment) =>
    new Promise<void>((resolve, reject) => {
      const { modelId, deploymentId } = active.assignment;
      execFile(
        path,
        [phase, modelId, deploymentId],
        {
          timeout: timeoutMs,
          env: {
            ...process.env,
            EDGEWATT_DEPLOY_STATE: phase,
            EDGEWATT_DEPLOY_MODEL: modelId,
            EDGEWATT_DEPLOY_ID: deploymentId,
            EDGEWATT_DEPLOY_ATTEMPT: String(active.attempt),
          },
        },
        (error, _stdout, stderr) => {
          if (error === null) {
            resolve();
            return;
          }
          const how = error.killed
            ? `was stopped after ${timeoutMs} ms`
            : `exited with ${error.code ?? error.signal}`;
          const said = stderr.trim().split('\n').at(-1) ?? '';
          reject(
            new DeploymentRefusal(
              'hook-failed',
              `deploy hook ${path} ${phase}: ${how}${said === '' ? '' : `: ${said}`}`,
            ),
          );
        },
      );
    });
}
