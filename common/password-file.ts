// The Mosquitto password file that `edgewatt provision-device` writes (what `mosquitto_passwd`
// writes since Mosquitto 2.0: `user:$7$<iterations>$<salt>$<hash>`, PBKDF2-SHA512), read by the
// collector's registry (device downloads) and by `edgewatt serve` (device credentials), so that a
// device proves who it is with the one password it was provisioned with.

import { pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export interface PasswordEntry {
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

/** Parses a Mosquitto password file; lines that are not `$7$` entries are skipped (and counted). */
export function parsePasswordFile(text: string): { entries: Map<string, PasswordEntry>; skipped: number } {
  const entries = new Map<string, PasswordEntry>();
  let skipped = 0;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const colon = trimmed.indexOf(':');
    const match = /^\$7\$(\d{1,7})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(trimmed.slice(colon + 1));
    if (colon <= 0 || match === null) {
      skipped++;
      continue;
    }
    const hash = Buffer.from(match[3] ?? '', 'base64');
    if (hash.length !== 64) {
      skipped++;
      continue;
    }
    entries.set(trimmed.slice(0, colon), {
      iterations: Number(match[1]),
      salt: Buffer.from(match[2] ?? '', 'base64'),
      hash,
    });
  }
  return { entries, skipped };
}

/** PBKDF2-SHA512 of `password` with the entry's salt and iterations (the digest to compare). */
export function passwordDigest(entry: PasswordEntry, password: string): Buffer {
  return pbkdf2Sync(password, entry.salt, entry.iterations, 64, 'sha512');
}

/** Whether `password` matches the entry, in constant time. */
export function passwordMatches(entry: PasswordEntry, password: string): boolean {
  return timingSafeEqual(passwordDigest(entry, password), entry.hash);
}
