// `edgewatt agent`: run a model on this board and stream per-inference energy to the broker.

import { join } from 'node:path';
import { Command } from 'commander';
import { Agent } from '../../agent/agent.js';
import { logger } from '../../common/logger.js';
import { resolveConfig } from '../config.js';
import { addAgentModelOptions, agentModelFields, modelTrustConfig } from '../schemas/agent-models.js';
import {
  addAgentReliabilityOptions,
  agentReliabilityFields,
  reliabilityConfig,
} from '../schemas/agent-reliability.js';
import { agentSchema } from '../schemas.js';
import { untilSignal } from '../signals.js';

const log = logger('cli.agent');

export function agentCommand(): Command {
  return addAgentModelOptions(addAgentReliabilityOptions(new Command('agent')))
    .description('run a TensorFlow.js model at a set rate and publish per-inference energy over MQTT')
    .option('--broker <url>', 'MQTT broker URL (default: mqtt://127.0.0.1:1883)')
    .option('--fleet <id>', 'fleet id (default: default)')
    .option('--device <id>', 'device id, unique in the fleet (required)')
    .option(
      '--sensor <kind[:board][:key=value,...]>',
      'power source (required): ina219, ina226, jetson-ina3221, rapl, pi5-pmic, replay or simulated, e.g. jetson-ina3221:jetson-orin-nano, ina219:rpi4:address=0x41,shuntOhms=0.1, simulated:rpi4 (an estimate); `edgewatt doctor` says which to use',
    )
    .option('--model <path>', 'TensorFlow.js model.json or its folder (required)')
    .option('--rate <per-s>', 'inferences per second, 0 = back to back (default: 10)')
    .option('--count <n>', 'stop after n inferences, 0 = run until stopped (default: 0)')
    .option('--state-dir <path>', 'sequence counter and outbox (default: .edgewatt/agent/<fleet>/<device>)')
    .option('--batch-max <n>', 'records per MQTT message at most (default: 50)')
    .option('--flush-ms <ms>', 'longest a record waits before it is sent (default: 1000)')
    .option('--encoding <cbor|json>', 'payload encoding (default: cbor)')
    .option(
      '--backend <tensorflow|wasm|cpu>',
      'start the backend search here (default: tensorflow, then wasm, then cpu)',
    )
    .option('--batch-size <n>', 'inputs per inference call (default: 1)')
    .option('--username <name>', 'broker user name')
    .option('--password <secret>', 'broker password (prefer EDGEWATT_PASSWORD)')
    .option('--config <path>', 'JSON config file (section "agent")')
    .action(async (_options, command: Command) => {
      const config = resolveConfig(
        agentSchema.extend(agentReliabilityFields).extend(agentModelFields),
        'agent',
        command,
      );
      const agent = await Agent.start({
        ...config,
        ...modelTrustConfig(config),
        ...reliabilityConfig(config),
        stateDir: config.stateDir ?? join('.edgewatt', 'agent', config.fleet, config.device),
      });
      const reason = await untilSignal(agent.finished());
      log.info({ reason, inferences: agent.stats.inferences }, 'stopping');
      await agent.stop();
    });
}
