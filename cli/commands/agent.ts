// `edgewatt agent`: run a model on this board and stream per-inference energy to the broker.

import { join } from 'node:path';
import { Command } from 'commander';
import { parseApiListen } from '../../agent/api/listen.js';
import type { RunningApi } from '../../agent/api/server.js';
import { statusText } from '../../agent/serve/summary.js';
import { EdgewattError } from '../../common/errors.js';
import { logger } from '../../common/logger.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { checkApiConfig, inputsFactory } from '../schemas/agent-api.js';
import { deployerConfig, openDeployments } from '../schemas/agent-deploy.js';
import { modelTrustConfig } from '../schemas/agent-models.js';
import { placementConfig } from '../schemas/agent-placement.js';
import { reliabilityConfig } from '../schemas/agent-reliability.js';
import { agentSchema } from '../schemas.js';
import { untilSignal } from '../signals.js';

const log = logger('cli.agent');

export function agentCommand(): Command {
  return addSchemaOptions(new Command('agent'), agentSchema, 'agent')
    .description('run a TensorFlow.js model at a set rate and publish per-inference energy over MQTT')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(agentSchema, 'agent', command);
      checkApiConfig(config);
      // Imported when the command runs: the agent, its API server and MQTT are most of the CLI's
      // import time, which every other command and `--help` would pay.
      const [{ Agent }, { startApi }, { Deployer }] = await Promise.all([
        import('../../agent/agent.js'),
        import('../../agent/api/server.js'),
        import('../../agent/deploy/deployer.js'),
      ]);
      const stateDir = config.stateDir ?? join('.edgewatt', 'agent', config.fleet, config.device);
      const trust = modelTrustConfig(config);
      const reliability = reliabilityConfig(config);
      const offload = placementConfig(config);
      // With deployments on, the agent starts with the model the last deployment committed.
      const deployments =
        config.deploymentTrustedKey.length > 0 ? openDeployments(stateDir, config.model) : undefined;
      const agent = await Agent.start({
        ...config,
        count: config.count ?? 0,
        ...trust,
        ...reliability,
        stateDir,
        inputs: await inputsFactory(config),
        queueMax: config.apiQueue,
        offload,
        ...(deployments === undefined ? {} : deployments.start),
      });
      const listen = config.api === undefined ? null : parseApiListen(config.api);
      let api: RunningApi | undefined;
      // The summary on request: `kill -USR2 <pid>` prints it to the log.
      const onStatusSignal = () => log.info({ status: agent.status() }, statusText(agent.status()));
      process.on('SIGUSR2', onStatusSignal);
      try {
        if (listen !== null) api = await startApi(agent, { listen, token: config.apiToken });
      } catch (error) {
        await agent.stop(0);
        throw error;
      }
      const deployer =
        deployments === undefined
          ? undefined
          : new Deployer(agent, deployments.journal, deployerConfig(config, trust));
      const reason = await untilSignal(agent.finished()).catch(async (error: unknown) => {
        await api?.close();
        await deployer?.close();
        await agent.stop(0); // releases the sensor and timers, so the process can exit
        throw error;
      });
      process.off('SIGUSR2', onStatusSignal);
      log.info({ reason, inferences: agent.stats.inferences, offloads: agent.stats.offloads }, 'stopping');
      await api?.close();
      await deployer?.close();
      const spool = await agent.stop();
      const { publishesRefused, lastRefusal } = agent.publisher.stats;
      if (publishesRefused > 0 && spool.pendingBatches > 0) {
        throw new BatchesRefusedError(
          `the broker refused ${publishesRefused} publish(es) (last: ${lastRefusal?.reason ?? 'unknown'}); ${spool.pendingRecords} records stay in the spool for the next start`,
          { hint: "check that --username owns --device in the broker's ACL (edgewatt provision-device)" },
        );
      }
    });
}

/** The run ended with data the broker refused still in the spool: not a success. */
export class BatchesRefusedError extends EdgewattError {
  override readonly name = 'BatchesRefusedError';
}
