// The edgewatt command line: one entry, one subcommand per job. Each subcommand's module (and
// what it pulls in: TensorFlow.js, the life-cycle engine, InfluxDB, fastify...) is imported only
// when that subcommand runs, so `edgewatt agent` on a Pi does not pay for the others at start-up.

import { Command, CommanderError } from 'commander';
import { isEdgewattError, isSystemError } from '../common/errors.js';
import { setLogLevel } from '../common/logger.js';
import { EDGEWATT_VERSION } from '../common/version.js';
import { explainFailure } from './failures.js';

/** Subcommand name → loader of its commander definition. One line per command. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  agent: async () => (await import('./commands/agent.js')).agentCommand(),
  collector: async () => (await import('./commands/collector.js')).collectorCommand(),
  demo: async () => (await import('./commands/demo.js')).demoCommand(),
  export: async () => (await import('./commands/export.js')).exportCommand(),
  experiment: async () => (await import('./commands/experiment.js')).experimentCommand(),
  dashboards: async () => (await import('./commands/dashboards.js')).dashboardsCommand(),
  compare: async () => (await import('./commands/compare.js')).compareCommand(),
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand(),
  measure: async () => (await import('./commands/measure.js')).measureCommand(),
  model: async () => (await import('./commands/model.js')).modelCommand(),
  profile: async () => (await import('./commands/profile.js')).profileCommand(),
  registry: async () => (await import('./commands/registry.js')).registryCommand(),
  rollout: async () => (await import('./commands/rollout.js')).rolloutCommand(),
  placement: async () => (await import('./commands/placement.js')).placementCommand(),
  'provision-device': async () => (await import('./commands/provision-device.js')).provisionDeviceCommand(),
  'provision-collector': async () =>
    (await import('./commands/provision-collector.js')).provisionCollectorCommand(),
  bridge: async () => (await import('./commands/bridge.js')).bridgeCommand(),
  serve: async () => (await import('./commands/serve.js')).serveCommand(),
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
    .option(
      '--debug',
      'on failure, print the stack trace too (anywhere on the line; env EDGEWATT_DEBUG=true)',
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
    if (arg.startsWith('-')) continue; // --debug is taken out by main()
    return arg;
  }
  return undefined;
}

/** `--debug` may stand anywhere before `--`: it is a global switch, not an option of one command. */
function takeDebug(argv: readonly string[]): { argv: string[]; debug: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? [...argv] : argv.slice(0, end);
  const rest = end < 0 ? [] : argv.slice(end);
  const kept = head.filter((arg) => arg !== '--debug');
  return { argv: [...kept, ...rest], debug: kept.length !== head.length };
}

/**
 * A reader that closes our standard output early (`edgewatt export ... | head`) is not a failure:
 * stop at once and quietly, as a C tool ended by SIGPIPE would.
 */
function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (error) => {
    if (isSystemError(error, 'EPIPE')) process.exit(0);
    throw error;
  });
}

/** What the user sees for a failure: one line for a known one, the stack trace only with --debug. */
export function failureText(error: unknown, debug: boolean): string {
  const explained = explainFailure(error);
  if (debug) {
    const causes: string[] = [];
    for (let e: unknown = explained; e instanceof Error; e = e.cause)
      causes.push(e === explained ? String(e.stack) : `caused by: ${String(e.stack)}`);
    return `edgewatt: ${causes.join('\n') || String(explained)}\n`;
  }
  if (isEdgewattError(explained))
    return `edgewatt: ${explained.message}${explained.hint === undefined ? '' : ` (${explained.hint})`}\n`;
  const message = explained instanceof Error ? explained.message : String(explained);
  return `edgewatt: unexpected error: ${message} (run with --debug for the stack trace)\n`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const { argv: args, debug } = takeDebug(argv);
  exitQuietlyOnClosedStdout();
  try {
    const program = (await buildProgram(subcommandOf(args))).exitOverride();
    await program.parseAsync(args);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isSystemError(error, 'EPIPE')) return 0;
    process.stderr.write(failureText(error, debug || process.env.EDGEWATT_DEBUG === 'true'));
    return 1;
  }
}
