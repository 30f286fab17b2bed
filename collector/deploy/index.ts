// The collector's deployment side, wired: the registry (served over the HTTP API), device logins,
// the deployment service (signed assignments, status messages) and the rollout controller. The
// collector command builds it with openDeployment(); the experiment scheduler takes `service`.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgewattError } from '../../common/errors.js';
import type { DeploymentMessage } from '../../protocol/index.js';
import type { DeploymentWriter, RecordReader } from '../store/index.js';
import { DeploymentService, type Publish } from './assign.js';
import { DeployDb } from './deploy-db.js';
import { DeviceAuth } from './device-auth.js';
import { storeDevices, storeGateData } from './gate-data.js';
import { ModelRegistry } from './registry.js';
import type { DeploymentReport } from './report.js';
import { RolloutController } from './rollout-controller.js';

export { AssignmentError, type AssignRequest, DeploymentService, type TerminalOutcome } from './assign.js';
export type { DeploymentReport } from './report.js';
export { RolloutController, RolloutError } from './rollout-controller.js';

export class DeploymentKeyError extends EdgewattError {
  override readonly name = 'DeploymentKeyError';
}

export function readDeploymentKey(path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(path));
  } catch (error) {
    throw new DeploymentKeyError(
      `--deployment-key ${path} cannot be read as a PEM private key: ${(error as Error).message}`,
      {
        hint: 'make one with "edgewatt model keygen --out deployment" and give the .key.pem',
      },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new DeploymentKeyError(
      `--deployment-key ${path} is a ${key.asymmetricKeyType} key; assignments are signed with ed25519`,
    );
  return key;
}

/** The collector's view of a wire message: the fleet from its topic added. */
export function toReport(fleet: string, message: DeploymentMessage): DeploymentReport {
  return {
    fleet,
    device: message.device,
    seq: message.seq,
    atUs: message.atUs,
    deploymentId: message.deploymentId,
    modelId: message.modelId,
    release: message.release,
    state: message.state,
    attempt: message.attempt,
    ...(message.reason === undefined ? {} : { reason: message.reason }),
    ...(message.detail === undefined ? {} : { detail: message.detail }),
    ...(message.bytes === undefined ? {} : { bytes: message.bytes }),
    ...(message.previousModelId === undefined ? {} : { previousModelId: message.previousModelId }),
  };
}

export interface DeploymentOptions {
  dataDir: string;
  /** PEM path of the deployment key; none = the registry serves, but nothing is assigned. */
  deploymentKey?: string | undefined;
  registryPasswd?: string | undefined;
  apiToken?: string | undefined;
  /** Registry URL given to devices in assignments (read at each one: the API may start later). */
  baseUrl: () => string | undefined;
  /** The record store, read for the health gate and the devices' current models. */
  reader?: RecordReader | undefined;
  /** The record store when it keeps deployment points (InfluxDB, for the rollout dashboard). */
  points?: DeploymentWriter | undefined;
  tickMs?: number;
}

export interface Deployment {
  registry: ModelRegistry;
  auth: DeviceAuth;
  db: DeployDb;
  /** Present with a deployment key. */
  service?: DeploymentService;
  rollouts?: RolloutController;
  /** For the collector's onDeployment. */
  handle(fleet: string, message: DeploymentMessage): void;
  close(): void;
}

/** Opens the deployment side; `publish` is the collector's (set once it is connected). */
export function openDeployment(options: DeploymentOptions, publish: Publish): Deployment {
  const registry = new ModelRegistry(options.dataDir);
  const auth = new DeviceAuth({ passwordFile: options.registryPasswd, apiToken: options.apiToken });
  const db = new DeployDb(join(options.dataDir, 'deploy.sqlite'));
  let service: DeploymentService | undefined;
  let rollouts: RolloutController | undefined;
  if (options.deploymentKey !== undefined) {
    service = new DeploymentService({
      db,
      registry,
      deploymentKey: readDeploymentKey(options.deploymentKey),
      points: options.points,
      baseUrl: () => {
        const url = options.baseUrl();
        if (url === undefined)
          throw new DeploymentKeyError(
            'assignments need a registry URL for the devices: give --http (and --registry-url when devices reach the collector under another name)',
          );
        return url;
      },
      publish,
    });
    const reader = options.reader;
    rollouts = new RolloutController({
      service,
      db,
      listDevices: reader === undefined ? async () => [] : storeDevices(reader),
      gateData: reader === undefined ? undefined : storeGateData(reader),
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
    });
    rollouts.start();
  }
  return {
    registry,
    auth,
    db,
    ...(service === undefined ? {} : { service }),
    ...(rollouts === undefined ? {} : { rollouts }),
    handle(fleet, message) {
      // Without a service (no key) status messages are still kept, for `edgewatt rollout status`.
      if (service !== undefined) service.handleReport(toReport(fleet, message));
      else db.addReport(toReport(fleet, message), Date.now() * 1000);
    },
    close() {
      rollouts?.stop();
      db.close();
    },
  };
}
