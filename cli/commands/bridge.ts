// `edgewatt bridge`: bring a microcontroller board into the fleet through its power monitor on a
// serial port; its records go through the agent's spool and publisher like any device's.

import { join } from 'node:path';
import { Command } from 'commander';
import { logger } from '../../common/logger.js';
import { Bridge } from '../../firmware-bridge/bridge.js';
import { parseMonitorSpec } from '../../firmware-bridge/monitor-spec.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { reliabilityConfig } from '../schemas/agent-reliability.js';
import { bridgeSchema } from '../schemas/bridge.js';
import { untilSignal } from '../signals.js';

const log = logger('cli.bridge');

export function bridgeCommand(): Command {
  return addSchemaOptions(new Command('bridge'), bridgeSchema, 'bridge')
    .description(
      "read a microcontroller board's power monitor over serial and publish its inferences as a device",
    )
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(bridgeSchema, 'bridge', command);
      const bridge = Bridge.start({
        ...config,
        monitor: parseMonitorSpec(config.monitor),
        stateDir: config.stateDir ?? join('.edgewatt', 'bridge', config.fleet, config.device),
        ...reliabilityConfig(config),
      });
      // Runs until stopped; a broker that refuses the credentials at start ends it with that error.
      const reason = await untilSignal(Promise.race([bridge.finished(), bridge.sink.publisher.fatal])).catch(
        async (error: unknown) => {
          await bridge.stop(0);
          throw error;
        },
      );
      log.info({ reason, ...bridge.counters }, 'stopping');
      await bridge.stop();
    });
}
