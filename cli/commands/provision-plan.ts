// What provisioning changes in the broker's password and ACL files, checked before anything is
// written: a device or collector already there is replaced only with --force, and a broker user
// that belongs to someone else is never taken over (with or without --force). Pure: texts in,
// texts out, so one write covers a whole CSV of devices.

import { ConfigError } from '../config.js';
import {
  aclUsers,
  mosquittoPasswordHash,
  passwordUsers,
  removePasswordEntry,
  replaceAclBlock,
  replacePasswordEntry,
} from './provision-files.js';

/** One device or collector to provision: its ACL block (starting with `marker`) and its users. */
export interface Principal {
  /** The block's first line, e.g. `# edgewatt device lab/pi4-01`; names the principal in errors. */
  marker: string;
  /** Broker users and the password each gets. */
  users: { username: string; password: string }[];
  block: string;
  /** Where it came from, for errors: `line 4 of devices.csv`, or undefined for the command line. */
  source?: string;
}

export interface ProvisionFiles {
  passwd: string;
  acl: string;
}

/** What `marker` says, without its `# edgewatt ` prefix: `device lab/pi4-01`. */
const who = (marker: string | null) => (marker === null ? 'an entry added by hand' : marker.slice(11));
const at = (p: Principal) => (p.source === undefined ? '' : ` (${p.source})`);

/**
 * The files after provisioning every principal. Throws ConfigError, naming each conflict, when a
 * principal is already provisioned and `force` is not set, or when a user name belongs to another
 * device, collector or hand-made entry (then `force` does not help: that would merge two owners).
 */
export function planProvisioning(
  files: ProvisionFiles,
  principals: readonly Principal[],
  { force, paths }: { force: boolean; paths: { passwd: string; acl: string } },
): ProvisionFiles {
  const owners = aclUsers(files.acl);
  const markers = new Set(files.acl.split('\n'));
  const inPasswd = new Set(passwordUsers(files.passwd));
  const problems: string[] = [];
  const claimed = new Map<string, Principal>();
  for (const p of principals) {
    if (markers.has(p.marker) && !force) {
      problems.push(
        `${who(p.marker)}${at(p)} is already provisioned in ${paths.acl}; pass --force to give it a new password (its board's config must then be replaced)`,
      );
    }
    for (const { username } of p.users) {
      const earlier = claimed.get(username);
      if (earlier !== undefined && earlier !== p) {
        problems.push(
          `${who(p.marker)}${at(p)} and ${who(earlier.marker)}${at(earlier)} both need broker user ${username}`,
        );
        continue;
      }
      claimed.set(username, p);
      const owner = owners.get(username);
      if (owner !== undefined && owner !== p.marker && owner !== null) {
        problems.push(
          `broker user ${username} for ${who(p.marker)}${at(p)} already belongs to ${who(owner)} in ${paths.acl}; give another user name`,
        );
      } else if ((owner === null || (owner === undefined && inPasswd.has(username))) && !force) {
        problems.push(
          `broker user ${username} for ${who(p.marker)}${at(p)} already exists in ${owner === null ? paths.acl : paths.passwd} (${who(null)}); pass --force to replace it`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(
      problems.length === 1
        ? (problems[0] as string)
        : `${problems.length} problems:\n  ${problems.join('\n  ')}`,
    );
  }
  let { passwd, acl } = files;
  for (const p of principals) {
    // Users the replaced block had and the new one does not (an older user name): drop their passwords too.
    for (const [username, owner] of owners) {
      if (owner === p.marker && !p.users.some((u) => u.username === username))
        passwd = removePasswordEntry(passwd, username);
    }
    for (const { username, password } of p.users)
      passwd = replacePasswordEntry(passwd, username, mosquittoPasswordHash(password));
    acl = replaceAclBlock(acl, p.marker, p.block);
  }
  return { passwd, acl };
}
