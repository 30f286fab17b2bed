// The edgewatt command line: one entry, one subcommand per job. Each subcommand's module (and
// what it pulls in: TensorFlow.js, the life-cycle engine, InfluxDB, fastify...) is imported only
// when that subcommand runs, so `edgewatt agent` on a Pi does not pay for the others at start-up.

import { Command, CommanderError } from 'commander';
import { setLogLevel } from '../common/logger.js';
import { EDGEWATT_VERSION } from '../common/version.js';

/** Subcommand name → loader of its commander definition. One line per command. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  agent: async () => (await import('./commands/agent.js')).agentCommand(),
  collector: async () => (await import('./commands/collector.js')).collectorCommand(),
  demo: async () => (await import('./commands/demo.js')).demoCommand(),
  export: async () => (await import('./commands/export.js')).exportCommand(),
  dashboards: async () => (await import('./commands/dashboards.js')).dashboardsCommand(),
  compare: async () => (await import('./commands/compare.js')).compareCommand(),
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand(),
  measure: async () => (await import('./commands/measure.js')).measureCommand(),
  model: async () => (await import('./commands/model.js')).modelCommand(),
  'provision-device': async () => (await import('./commands/provision-device.js')).provisionDeviceCommand(),
};

/** The program with every subcommand, or only `only` when it names one (the fast path). */
export async function buildProgram(only?: string): Promise<Command> {
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
  const names = only !== undefined && only in COMMANDS ? [only] : Object.keys(COMMANDS);
  for (const name of names) {
    const load = COMMANDS[name];
    if (load !== undefined) program.addCommand(await load());
  }
  return program;
}

/** The subcommand named in argv (skipping global options), if any. */
function subcommandOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--log-level') {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg;
  }
  return undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = (await buildProgram(subcommandOf(argv))).exitOverride();
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
