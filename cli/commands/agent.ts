// `edgewatt agent`: run a model on this board and stream per-inference energy to the broker.

import { join } from 'node:path';
import { Command } from 'commander';
import { Agent } from '../../agent/agent.js';
import { logger } from '../../common/logger.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { modelTrustConfig } from '../schemas/agent-models.js';
import { reliabilityConfig } from '../schemas/agent-reliability.js';
import { agentSchema } from '../schemas.js';
import { untilSignal } from '../signals.js';

const log = logger('cli.agent');

export function agentCommand(): Command {
  return addSchemaOptions(new Command('agent'), agentSchema, 'agent')
    .description('run a TensorFlow.js model at a set rate and publish per-inference energy over MQTT')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(agentSchema, 'agent', command);
      const agent = await Agent.start({
        ...config,
        count: config.count ?? 0,
        ...modelTrustConfig(config),
        ...reliabilityConfig(config),
        stateDir: config.stateDir ?? join('.edgewatt', 'agent', config.fleet, config.device),
      });
      const reason = await untilSignal(agent.finished());
      log.info({ reason, inferences: agent.stats.inferences }, 'stopping');
      await agent.stop();
    });
}
