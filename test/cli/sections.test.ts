// The CLI option rule of docs/architecture.md ("Adding an option"): every option of every command
// has a config-file key in the section its --config help names. Walks the real program, so a
// subcommand whose schema is missing from cli/schemas/sections.ts fails here by name.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { experimentReportCommand } from '../../cli/commands/experiment-report.js';
import { resolveConfig } from '../../cli/config.js';
import { buildProgram } from '../../cli/main.js';
import { experimentReportSchema } from '../../cli/schemas/experiment-report.js';
import { knownKeys, SECTIONS } from '../../cli/schemas/sections.js';

/** Read from the command line only, by design (cli/schemas/filter.ts): not config keys. */
const COMMAND_LINE_ONLY = new Set([
  'fleet',
  'device',
  'model',
  'from',
  'to',
  'experiment',
  'arm',
  'skipFirst',
]);
/** `--data-dir` → `dataDir`, as the options machinery derives flags from keys (cli/options.ts). */
const camelKey = (long: string) =>
  long.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const NOT_OPTIONS = new Set(['config', 'help', 'version']);

function* leaves(command: Command, path: string[] = []): Generator<{ path: string; command: Command }> {
  const here = [...path, command.name()];
  if (command.commands.length === 0) yield { path: here.slice(1).join(' '), command };
  for (const sub of command.commands) yield* leaves(sub, here);
}

/** The section a command's --config help names (`section "experiment"`), or null without --config. */
function sectionOf(command: Command): string | null {
  const config = command.options.find((o) => o.long === '--config');
  if (config === undefined) return null;
  const match = /section "([^"]+)"/.exec(config.description);
  if (match === null) throw new Error(`${command.name()}: --config help names no section`);
  return match[1] as string;
}

describe('every command option has a config-file section and key', () => {
  it('walks every subcommand: its section is registered and holds each of its options', async () => {
    const program = await buildProgram();
    const problems: string[] = [];
    let checked = 0;
    for (const { path, command } of leaves(program)) {
      const section = sectionOf(command);
      if (section === null) continue;
      if (!(section in SECTIONS)) {
        problems.push(`${path}: section "${section}" is not in cli/schemas/sections.ts`);
        continue;
      }
      const keys = await knownKeys(section);
      for (const option of command.options) {
        const key = camelKey(option.long ?? '');
        if (NOT_OPTIONS.has(key) || option.hidden || COMMAND_LINE_ONLY.has(key)) continue;
        checked++;
        if (!keys.has(key))
          problems.push(`${path}: ${option.long} has no key "${key}" in section "${section}"`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  }, 60_000);

  it('the experiment section takes `experiment report`’s own options (out, analysis)', async () => {
    const keys = await knownKeys('experiment');
    for (const key of ['out', 'analysis', 'dataDir', 'store', 'replicates', 'scenario'])
      expect(keys).toContain(key);
  });

  it('`experiment report` reads --out and --replicates from the experiment section of a config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ew-sections-'));
    try {
      const path = join(dir, 'edgewatt.json');
      writeFileSync(path, JSON.stringify({ experiment: { out: 'report.html', replicates: 500 } }));
      const command = experimentReportCommand();
      command.parseOptions(['--config', path]);
      const config = await resolveConfig(experimentReportSchema, 'experiment', command, {});
      expect(config.out).toBe('report.html');
      expect(config.replicates).toBe(500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
