// The file formats provision-device writes: a Mosquitto password_file entry (what
// `mosquitto_passwd` writes since Mosquitto 2.0: `user:$7$<iterations>$<salt>$<hash>`, PBKDF2 with
// SHA-512, 101 iterations, 12-byte salt, base64) and the device's block in a Mosquitto acl_file.

import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { buildTopic } from '../../protocol/index.js';

export const MOSQUITTO_PBKDF2_ITERATIONS = 101;

/** The start of a new ACL file; the same text as deploy/acl/edgewatt.acl (a test keeps them equal). */
export const ACL_TEMPLATE = `# Mosquitto ACL for edgewatt (acl_file). Devices get their own block, appended by
# \`edgewatt provision-device <id>\`: a device may publish only under its own id and read only its
# own commands and status. With an acl_file, anything not granted here is denied.
#
# The collector: reads every device's data and status, sends commands. Create its password with
#   mosquitto_passwd /etc/mosquitto/edgewatt.passwd edgewatt-collector
user edgewatt-collector
topic read edgewatt/v1/+/+/inference
topic read edgewatt/v1/+/+/status
topic read edgewatt/v1/+/+/power
topic read edgewatt/v1/+/+/offload
topic read edgewatt/v1/+/+/feedback
topic write edgewatt/v1/+/+/cmd/#

`;

export function mosquittoPasswordHash(password: string, salt = randomBytes(12)): string {
  const hash = pbkdf2Sync(password, salt, MOSQUITTO_PBKDF2_ITERATIONS, 64, 'sha512');
  return `$7$${MOSQUITTO_PBKDF2_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** The password file with `username`'s entry replaced (or added at the end). */
export function replacePasswordEntry(file: string, username: string, hash: string): string {
  const lines = file.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(`${username}:`));
  return `${[...lines, `${username}:${hash}`].join('\n')}\n`;
}

const marker = (fleet: string, device: string) => `# edgewatt device ${fleet}/${device}`;

/** A device may publish only under its own id and read only its own commands and status. */
export function aclBlock(fleet: string, device: string, username: string): string {
  const topic = (kind: 'inference' | 'status' | 'power' | 'offload' | 'feedback') =>
    buildTopic({ fleet, device, kind });
  const base = topic('status').replace(/\/status$/, '');
  return [
    marker(fleet, device),
    `user ${username}`,
    `topic write ${topic('inference')}`,
    `topic write ${topic('power')}`,
    `topic write ${topic('offload')}`,
    `topic write ${topic('feedback')}`,
    // Answers to inputs sent on cmd/infer (--inputs mqtt), read by the device's application.
    `topic write ${base}/answer`,
    // readwrite: the agent watches its own retained status to answer a stale last will.
    `topic readwrite ${topic('status')}`,
    `topic read ${base}/cmd/#`,
    '',
  ].join('\n');
}

/** The ACL file with the device's block replaced (or appended). A block runs from its marker to a blank line. */
export function replaceAclBlock(file: string, fleet: string, device: string, block: string): string {
  const lines = file.split('\n');
  const start = lines.indexOf(marker(fleet, device));
  if (start < 0) return `${file.replace(/\n*$/, '\n\n')}${block}`;
  let end = start;
  while (end < lines.length && lines[end]?.trim() !== '') end++;
  return [...lines.slice(0, start), ...block.replace(/\n$/, '').split('\n'), ...lines.slice(end)].join('\n');
}
