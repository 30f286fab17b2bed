// `edgewatt doctor`: what board this is, which power sensors it has and which the agent will use.

import { Command } from 'commander';
import { defaultProbeEnv, doctorJson, formatDoctor, runDoctor } from '../../agent/doctor/doctor.js';
import { runCommand } from '../../agent/sensors/pi5-pmic.js';
import { resolveConfig } from '../config.js';
import { doctorSchema } from '../schemas/sensors.js';

export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'recognise the board, list the power sensors found (and why others cannot be used), say which the agent will use',
    )
    .option('--json', 'print the report as JSON')
    .option('--root <path>', 'file-system root to inspect (default: /; for testing with a fake tree)')
    .option('--vcgencmd <path>', 'vcgencmd to run for the Pi 5 PMIC (default: vcgencmd on PATH)')
    .option('--config <path>', 'JSON config file (section "doctor")')
    .action(async (_options, command: Command) => {
      const config = resolveConfig(doctorSchema, 'doctor', command);
      const env = defaultProbeEnv(config.root);
      env.run = (name, args) => runCommand(name === 'vcgencmd' ? config.vcgencmd : name, args);
      const report = await runDoctor(env);
      process.stdout.write(
        config.json ? `${JSON.stringify(doctorJson(report), null, 2)}\n` : formatDoctor(report),
      );
    });
}
