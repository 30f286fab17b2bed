// An AssignmentPort built directly on the deployment contract (protocol/deploy): signs each
// assignment with the deployment key and publishes it retained, QoS 1, on the device's cmd/model
// topic. `edgewatt experiment drive` uses it with the models' signed manifests as the source of
// release and size; inside the collector, the deployment service (collector/deploy) plays this role.

import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgewattError } from '../../common/errors.js';
import {
  ASSIGNMENT_COMMAND,
  ASSIGNMENT_SCHEMA,
  type Assignment,
  signAssignment,
} from '../../protocol/deploy/index.js';
import { buildTopic } from '../../protocol/index.js';
import { MANIFEST_FILE, manifestSchema } from '../../protocol/manifest/index.js';
import type { AssignmentPort } from './driver.js';

export class ModelLookupError extends EdgewattError {
  override readonly name = 'ModelLookupError';
}

export interface ModelFacts {
  release: number;
  artifactBytes: number;
}

export type Publish = (topic: string, payload: Uint8Array, options: { retain: boolean }) => Promise<void>;

export interface SignedPortOptions {
  publish: Publish;
  deploymentKey: KeyObject;
  /** The registry the devices download from. */
  baseUrl: string;
  models: ReadonlyMap<string, ModelFacts>;
  nowMs?: () => number;
  /** How long an assignment stays valid (default 7 days, as the deployment service). */
  validForS?: number;
}

/** Reads release and size from each model folder's manifest.json, keyed by the manifest id. */
export async function modelFactsFromFolders(folders: readonly string[]): Promise<Map<string, ModelFacts>> {
  const facts = new Map<string, ModelFacts>();
  for (const folder of folders) {
    let manifest: ReturnType<typeof manifestSchema.parse>;
    try {
      manifest = manifestSchema.parse(JSON.parse(await readFile(join(folder, MANIFEST_FILE), 'utf8')));
    } catch (error) {
      throw new ModelLookupError(
        `--models ${folder}: no valid ${MANIFEST_FILE} (${(error as Error).message.split('\n')[0]})`,
      );
    }
    facts.set(manifest.id, { release: manifest.release ?? 0, artifactBytes: manifest.artifactBytes });
  }
  return facts;
}

export class SignedAssignmentPort implements AssignmentPort {
  constructor(private readonly options: SignedPortOptions) {}

  async publishAssignment(request: Parameters<AssignmentPort['publishAssignment']>[0]): Promise<Assignment> {
    const model = this.options.models.get(request.modelId);
    if (model === undefined) {
      throw new ModelLookupError(`model ${request.modelId} is not among the models given (--models)`);
    }
    const nowMs = (this.options.nowMs ?? Date.now)();
    const assignment: Assignment = {
      schema: ASSIGNMENT_SCHEMA,
      fleet: request.fleet,
      device: request.device,
      deploymentId: request.deploymentId,
      modelId: request.modelId,
      release: model.release,
      rollback: false,
      artifactBytes: model.artifactBytes,
      baseUrl: this.options.baseUrl,
      issuedAt: new Date(nowMs).toISOString(),
      expires: new Date(nowMs + (this.options.validForS ?? 7 * 86_400) * 1000).toISOString(),
      probationS: request.probationS,
      ...(request.tags === undefined ? {} : { tags: request.tags }),
    };
    const topic = buildTopic({
      fleet: request.fleet,
      device: request.device,
      kind: 'cmd',
      command: ASSIGNMENT_COMMAND,
    });
    await this.options.publish(topic, signAssignment(assignment, this.options.deploymentKey), {
      retain: true,
    });
    return assignment;
  }
}
