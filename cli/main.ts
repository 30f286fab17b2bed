// The edgewatt command line: one entry, one subcommand per job.

import { Command, CommanderError } from 'commander';
import { setLogLevel } from '../common/logger.js';
import { EDGEWATT_VERSION } from '../common/version.js';
import { agentCommand } from './commands/agent.js';
import { collectorCommand } from './commands/collector.js';
import { compareCommand } from './commands/compare.js';
import { dashboardsCommand } from './commands/dashboards.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { exportCommand } from './commands/export.js';
import { measureCommand } from './commands/measure.js';
import { modelCommand } from './commands/model.js';
import { provisionDeviceCommand } from './commands/provision-device.js';

export function buildProgram(): Command {
  const program = new Command('edgewatt')
    .description('measure ML inference energy on edge boards and compare it with datacenter offload')
    .version(EDGEWATT_VERSION)
    .option(
      '--log-level <level>',
      'trace, debug, info, warn, error or silent (default: info; env EDGEWATT_LOG_LEVEL)',
    )
    .hook('preAction', (thisCommand) => {
      const level = thisCommand.opts<{ logLevel?: string }>().logLevel;
      if (level !== undefined) setLogLevel(level);
    });
  for (const command of [
    agentCommand(),
    collectorCommand(),
    demoCommand(),
    exportCommand(),
    dashboardsCommand(),
  ])
    program.addCommand(command);
  program.addCommand(compareCommand());
  program.addCommand(doctorCommand());
  program.addCommand(measureCommand());
  program.addCommand(modelCommand());
  program.addCommand(provisionDeviceCommand());
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const known =
      error instanceof Error &&
      /Error$/.test(error.name) &&
      error.name !== 'Error' &&
      error.name !== 'TypeError';
    process.stderr.write(
      `edgewatt: ${known ? (error as Error).message : String((error as Error).stack ?? error)}\n`,
    );
    return 1;
  }
}
