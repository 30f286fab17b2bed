// Agent options of model deployment (docs/deployment.md#model-deployment): the collector's
// deployment public keys that sign assignments (deployments are on when one is given), the
// board profile the manifests' `boards` are checked against, and the bounds of a deployment.

import { z } from 'zod';
import type { AgentConfig } from '../../agent/agent.js';
import type { DeployerConfig } from '../../agent/deploy/deployer.js';
import { startModelPath } from '../../agent/deploy/deployer.js';
import { tagsOf } from '../../agent/deploy/effects.js';
import { commandHook } from '../../agent/deploy/hook.js';
import { JournalStore } from '../../agent/deploy/journal.js';
import { parseSensorSpec } from '../../agent/sensors/index.js';
import { boardIds } from '../../protocol/boards/index.js';
import { MAX_MODEL_FILE_BYTES } from '../../protocol/manifest/bounded-read.js';
import { trustFromKeyFiles } from '../../protocol/manifest/index.js';
import { loadTrustedKey } from '../../protocol/manifest/signature.js';
import { formatBytes, pemFile } from './agent-reliability.js';
import { int, list, oneOf, option, size } from './fields.js';

export const agentDeployFields = {
  deploymentTrustedKey: option(list(pemFile()).default([]), {
    arg: 'pem',
    help:
      "take model assignments on cmd/model signed with this public key (the collector's --deployment-key); " +
      'comma-separate several (key rotation)',
    defaultHelp: 'none: no deployments, the agent runs --model',
  }),
  board: option(oneOf(boardIds() as [string, ...string[]]).optional(), {
    help: "this board's profile, checked against a deployed manifest's boards",
    defaultHelp: 'the board of --sensor (simulated:rpi4 → rpi4)',
  }),
  deployMaxBytes: option(size({ min: 1 }).prefault(formatBytes(MAX_MODEL_FILE_BYTES)), {
    arg: 'size',
    help: 'largest model a deployment may download (bytes, or with a unit: 64MiB)',
  }),
  deployAttempts: option(int({ min: 1, max: 100 }).default(3), {
    arg: 'n',
    help: 'loop guard: starts of one deployment (crashes included) before it is given up',
  }),
  deployHook: option(z.string().min(1).optional(), {
    arg: 'path',
    help: 'executable run on entering every deployment state (args: state, model id, deployment id); a non-zero exit fails the state',
  }),
  deployWarmup: option(int({ min: 0, max: 10_000 }).default(10), {
    arg: 'n',
    help: 'unmeasured inferences a deployed model runs before it serves',
  }),
};

export type AgentDeployOptions = {
  deploymentTrustedKey: string[];
  board?: string | undefined;
  deployMaxBytes: number;
  deployAttempts: number;
  deployWarmup: number;
  deployHook?: string | undefined;
};

/** The journal, and the model (with its record tags) the agent starts with. */
export function openDeployments(
  stateDir: string,
  model: string,
): { journal: JournalStore; start: Pick<AgentConfig, 'model' | 'tags'> } {
  const journal = new JournalStore(stateDir);
  const start = startModelPath(journal, model);
  return { journal, start: { model: start.path, tags: tagsOf(start.tags) } };
}

export function deployerConfig(
  config: AgentDeployOptions & {
    fleet: string;
    device: string;
    sensor: string;
    model: string;
    broker: string;
    username?: string | undefined;
    password?: string | undefined;
  },
  trust: Pick<AgentConfig, 'trustedKeys' | 'allowUnsigned'>,
): DeployerConfig {
  return {
    fleet: config.fleet,
    device: config.device,
    board: config.board ?? parseSensorSpec(config.sensor)?.boardId,
    // A deployed model must be signed whatever --allow-unsigned says: deployments come over the network.
    modelTrust: trustFromKeyFiles(trust.trustedKeys ?? [], false),
    deploymentKeys: config.deploymentTrustedKey.map(loadTrustedKey),
    maxArtifactBytes: config.deployMaxBytes,
    maxAttempts: config.deployAttempts,
    warmupInferences: config.deployWarmup,
    registry: {
      ...(config.username === undefined ? {} : { username: config.username }),
      ...(config.password === undefined ? {} : { password: config.password }),
    },
    startModelDir: config.model,
    ...(config.deployHook === undefined ? {} : { hook: commandHook(config.deployHook) }),
  };
}
