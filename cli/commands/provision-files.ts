// The file formats provision-device and provision-collector write: a Mosquitto password_file entry
// (what `mosquitto_passwd` writes since Mosquitto 2.0: `user:$7$<iterations>$<salt>$<hash>`, PBKDF2
// with SHA-512, 101 iterations, 12-byte salt, base64) and a device's or collector's block in a
// Mosquitto acl_file; and reading back who owns which user, so that nothing is overwritten unasked.

import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { buildTopic } from '../../protocol/index.js';

export const MOSQUITTO_PBKDF2_ITERATIONS = 101;

/** What a collector may do: read everything devices publish, send commands to any device. */
const COLLECTOR_TOPICS = ['topic read edgewatt/v1/#', 'topic write edgewatt/v1/+/+/cmd/#'];

/** The start of a new ACL file; the same text as deploy/acl/edgewatt.acl (a test keeps them equal). */
export const ACL_TEMPLATE = `# Mosquitto ACL for edgewatt (acl_file). Devices get their own block, appended by
# \`edgewatt provision-device <id>\`: a device may publish only under its own id and read only its
# own commands and status. Collectors get theirs from \`edgewatt provision-collector <id>\` (one
# broker user per connection: deploy/mosquitto.conf makes the user name the MQTT client id).
# With an acl_file, anything not granted here is denied.
#
# A collector added by hand: reads every device's messages, sends commands. Create its password with
#   mosquitto_passwd /etc/mosquitto/edgewatt.passwd edgewatt-collector
user edgewatt-collector
${COLLECTOR_TOPICS.join('\n')}

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

/** The comment line that starts a device's ACL block (ids cannot hold "/", so it names one device). */
export const deviceMarker = (fleet: string, device: string) => `# edgewatt device ${fleet}/${device}`;
export const collectorMarker = (id: string) => `# edgewatt collector ${id}`;

/**
 * A device may publish only under its own id (records, power, offload, its deployment progress),
 * read and write its own status, and read only its own commands.
 */
export function aclBlock(fleet: string, device: string, username: string): string {
  const topic = (kind: 'inference' | 'status' | 'power' | 'offload' | 'feedback' | 'deployment') =>
    buildTopic({ fleet, device, kind });
  const base = topic('status').replace(/\/status$/, '');
  return [
    deviceMarker(fleet, device),
    `user ${username}`,
    `topic write ${topic('inference')}`,
    `topic write ${topic('power')}`,
    `topic write ${topic('offload')}`,
    `topic write ${topic('feedback')}`,
    // Answers to inputs sent on cmd/infer (--inputs mqtt), read by the device's application.
    `topic write ${base}/answer`,
    `topic write ${topic('deployment')}`,
    // readwrite: the agent watches its own retained status to answer a stale last will.
    `topic readwrite ${topic('status')}`,
    `topic read ${base}/cmd/#`,
    '',
  ].join('\n');
}

/** A collector's block: the same grants for each of its users (one per MQTT connection). */
export function collectorAclBlock(id: string, usernames: readonly string[]): string {
  return [
    collectorMarker(id),
    ...usernames.flatMap((username) => [`user ${username}`, ...COLLECTOR_TOPICS]),
    '',
  ].join('\n');
}

/** The ACL file with the block that starts with `marker` replaced (or appended). A block runs from its marker to a blank line. */
export function replaceAclBlock(file: string, marker: string, block: string): string {
  const lines = file.split('\n');
  const start = lines.indexOf(marker);
  if (start < 0) return `${file.replace(/\n*$/, '\n\n')}${block}`;
  let end = start;
  while (end < lines.length && lines[end]?.trim() !== '') end++;
  return [...lines.slice(0, start), ...block.replace(/\n$/, '').split('\n'), ...lines.slice(end)].join('\n');
}

/** The users of the password file, in order. */
export function passwordUsers(file: string): string[] {
  return file
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#') && line.includes(':'))
    .map((line) => line.slice(0, line.indexOf(':')));
}

/** The password file without `username`'s entry. */
export function removePasswordEntry(file: string, username: string): string {
  const lines = file.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(`${username}:`));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * Who each `user` line of the ACL file belongs to: the marker of the block it is in
 * (`# edgewatt device lab/pi4-01`), or null for a user outside any marked block (added by hand).
 */
export function aclUsers(file: string): Map<string, string | null> {
  const owners = new Map<string, string | null>();
  let block: string | null = null;
  for (const line of file.split('\n')) {
    if (line.trim() === '') block = null;
    else if (line.startsWith('# edgewatt device ') || line.startsWith('# edgewatt collector ')) block = line;
    else if (line.startsWith('user ')) owners.set(line.slice('user '.length).trim(), block);
  }
  return owners;
}
