// The programs integration suites run for real (mosquitto, influxd, openssl, ...). A suite that
// needs one that is missing is skipped with the reason on a workstation, and FAILS under CI (the
// `CI` variable set, as .ci/run does), where a skipped suite would let a pipeline pass that never
// ran against the real thing.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/** Each program a test may run, with the Debian package that provides it (.ci/run installs them). */
export const TOOLS = {
  mosquitto: 'mosquitto',
  mosquitto_passwd: 'mosquitto',
  influxd: 'influxdb',
  openssl: 'openssl',
  socat: 'socat',
  chromium: 'chromium',
  'systemd-analyze': 'systemd',
  cc: 'gcc',
  'g++': 'g++',
  script: 'bsdutils',
  ip: 'iproute2',
  tc: 'iproute2',
} as const;

export type Tool = keyof typeof TOOLS;

/** True when `CI` is set to anything but "", "0" or "false". */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/** Whether `command` is an executable file in a PATH directory (looked up, never run). */
export function onPath(command: string, path = process.env.PATH ?? ''): boolean {
  return path
    .split(delimiter)
    .filter((dir) => dir !== '')
    .some((dir) => {
      try {
        accessSync(join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export function missingTools(tools: readonly Tool[]): Tool[] {
  return tools.filter((tool) => !onPath(tool));
}

export function hasTools(...tools: Tool[]): boolean {
  return missingTools(tools).length === 0;
}

/** A requirement a suite cannot run without: `met`, or the reason it is not and how to fix it. */
export interface Requirement {
  met: boolean;
  reason: string;
}

export function toolsRequirement(tools: readonly Tool[]): Requirement {
  const absent = missingTools(tools);
  const packages = [...new Set(absent.map((tool) => TOOLS[tool]))];
  return {
    met: absent.length === 0,
    reason: `${absent.map((tool) => `\`${tool}\``).join(', ')} not on PATH (apt-get install ${packages.join(' ')})`,
  };
}

export class MissingRequirementError extends Error {
  override name = 'MissingRequirementError';
}

/**
 * `describe(name, body)` when the requirement is met. Otherwise, under CI one failing test that
 * gives the reason; elsewhere the suite is skipped, the reason in its name and on stderr.
 */
export function describeIf(requirement: Requirement, name: string, body: () => void): void {
  if (requirement.met) {
    describe(name, body);
    return;
  }
  if (inCi()) {
    describe(name, () => {
      it('can run here (CI is set, so a missing requirement is a failure, not a skip)', () => {
        throw new MissingRequirementError(`${name}: ${requirement.reason}`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${requirement.reason}; under CI this fails`);
  describe.skip(`${name} (skipped: ${requirement.reason})`, body);
}

/** describeIf() for suites that run programs: `describeWith(['mosquitto'], 'name', () => ...)`. */
export function describeWith(tools: readonly Tool[], name: string, body: () => void): void {
  describeIf(toolsRequirement(tools), name, body);
}
