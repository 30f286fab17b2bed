// Whether this machine can emulate a link: iproute2 on PATH, root (namespaces and qdiscs need
// CAP_NET_ADMIN), and a kernel with tbf — probed by making a namespace with a tbf qdisc on its
// loopback. Suites use describeIf(linkRequirement(), ...): a workstation without it skips with
// the reason; under CI (.ci/run installs iproute2) it FAILS, so a pipeline cannot pass without
// ever shaping a link.

import { execFileSync } from 'node:child_process';
import { type Requirement, type Tool, toolsRequirement } from '../tools.js';
import { tbfArgs } from './netns.js';

let probed: Requirement | null = null;

function probeTbf(): Requirement {
  const name = `edgewatt-probe-${process.pid}`;
  const run = (args: string[]) =>
    execFileSync(args[0] ?? '', args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    run(['ip', 'netns', 'add', name]);
    run(['tc', '-n', name, 'qdisc', 'add', 'dev', 'lo', 'root', ...tbfArgs(1)]);
    return { met: true, reason: '' };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? (error as Error).message;
    return {
      met: false,
      reason: `cannot make a network namespace with a tbf qdisc (${stderr}); needs root and a kernel with sch_tbf`,
    };
  } finally {
    try {
      run(['ip', 'netns', 'del', name]);
    } catch {
      // Never made.
    }
  }
}

/** iproute2, root and tbf, plus any programs the suite runs besides. */
export function linkRequirement(extraTools: readonly Tool[] = []): Requirement {
  const tools = toolsRequirement(['ip', 'tc', ...extraTools]);
  if (!tools.met) return tools;
  if (process.getuid?.() !== 0)
    return { met: false, reason: 'emulated links need root (ip netns, tc qdisc): run the tests as root' };
  probed ??= probeTbf();
  return probed;
}
