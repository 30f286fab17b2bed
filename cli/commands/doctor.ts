// `edgewatt doctor`: what board this is, which power sensors it has and which the agent will use.

import { Command } from 'commander';
import { defaultProbeEnv, doctorJson, formatDoctor, runDoctor } from '../../agent/doctor/doctor.js';
import { runCommand } from '../../agent/sensors/pi5-pmic.js';
import { findSerialDevices, formatSerialDevices } from '../../firmware-bridge/discover.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { doctorSchema } from '../schemas/sensors.js';

export function doctorCommand(): Command {
  return addSchemaOptions(new Command('doctor'), doctorSchema, 'doctor')
    .description(
      'recognise the board, list the power sensors found (and why others cannot be used), say which the agent will use',
    )
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(doctorSchema, 'doctor', command);
      const env = defaultProbeEnv(config.root);
      env.run = (name, args) => runCommand(name === 'vcgencmd' ? config.vcgencmd : name, args);
      const report = await runDoctor(env);
      // Microcontroller power monitors on USB serial (for `edgewatt bridge`).
      const serial = findSerialDevices(config.root);
      process.stdout.write(
        config.json
          ? `${JSON.stringify({ ...(doctorJson(report) as object), serial }, null, 2)}\n`
          : `${formatDoctor(report)}${formatSerialDevices(serial).join('\n')}\n`,
      );
    });
}
