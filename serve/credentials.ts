// Per-device credentials of the inference server: a device sends `Authorization: Bearer <token>`
// and `X-Edgewatt-Device: <name>`. The credentials file (--credentials) holds, one per line,
// either `<name> <sha256-hex of the token>` or a Mosquitto password-file entry
// `<user>:$7$<iterations>$<salt>$<hash>` — so the password file `edgewatt provision-device` writes
// works as it is: the device's broker password is its token, its broker user (`<fleet>.<device>`)
// its name, and a bare device id that matches exactly one such user is accepted too. The file is
// re-read when it changes: a device provisioned after start needs no restart.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { logger } from '../common/logger.js';
import { type PasswordEntry, parsePasswordFile, passwordDigest } from '../common/password-file.js';

const log = logger('serve.auth');

export type AuthFailure = 'no-token' | 'no-device' | 'unknown-device' | 'bad-token';

export type AuthResult = { ok: true; device: string } | { ok: false; failure: AuthFailure; message: string };

const sha256 = (text: string) => createHash('sha256').update(text).digest();
const TOKEN_LINE = /^(\S+)\s+([0-9a-fA-F]{64})$/;

export interface ParsedCredentials {
  tokens: Map<string, Buffer>;
  passwords: Map<string, PasswordEntry>;
  skipped: number;
}

export function parseCredentials(text: string): ParsedCredentials {
  const tokens = new Map<string, Buffer>();
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    const match = TOKEN_LINE.exec(trimmed);
    if (match !== null)
      tokens.set(match[1] as string, Buffer.from((match[2] as string).toLowerCase(), 'hex'));
    else lines.push(trimmed);
  }
  const { entries, skipped } = parsePasswordFile(lines.join('\n'));
  return { tokens, passwords: entries, skipped };
}

export class DeviceCredentials {
  private parsed: ParsedCredentials = { tokens: new Map(), passwords: new Map(), skipped: 0 };
  private loaded = { mtimeMs: -1, size: -1 };
  /** PBKDF2 is slow by design: a device pays it once per token, not per request. */
  private readonly verified = new Map<string, Buffer>();

  constructor(readonly path: string) {
    this.reload(true);
  }

  get size(): number {
    return this.parsed.tokens.size + this.parsed.passwords.size;
  }

  check(authorization: string | undefined, deviceHeader: string | undefined): AuthResult {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (token === undefined)
      return { ok: false, failure: 'no-token', message: 'send Authorization: Bearer <the device’s token>' };
    if (deviceHeader === undefined || deviceHeader === '')
      return {
        ok: false,
        failure: 'no-device',
        message: 'send X-Edgewatt-Device: <device> (the name its token is registered under)',
      };
    this.reload(false);
    const hashed = this.parsed.tokens.get(deviceHeader);
    if (hashed !== undefined)
      return timingSafeEqual(sha256(token), hashed)
        ? { ok: true, device: deviceHeader }
        : badToken(deviceHeader);
    const user = this.userOf(deviceHeader);
    const entry = user === undefined ? undefined : this.parsed.passwords.get(user);
    if (user === undefined || entry === undefined)
      return {
        ok: false,
        failure: 'unknown-device',
        message: `device ${JSON.stringify(deviceHeader)} has no credentials in ${this.path}`,
      };
    const key = `${user}\0${token}`;
    const digest = this.verified.get(key) ?? passwordDigest(entry, token);
    if (!timingSafeEqual(digest, entry.hash)) return badToken(deviceHeader);
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(key, digest);
    return { ok: true, device: user };
  }

  /** The password-file user for `name`: itself, or the one `<fleet>.<name>` when exactly one exists. */
  private userOf(name: string): string | undefined {
    if (this.parsed.passwords.has(name)) return name;
    const matches = [...this.parsed.passwords.keys()].filter((user) => user.endsWith(`.${name}`));
    return matches.length === 1 ? matches[0] : undefined;
  }

  private reload(first: boolean): void {
    let info: { mtimeMs: number; size: number };
    try {
      info = statSync(this.path);
    } catch (error) {
      if (first) throw error;
      return; // keep the last good set: a file being replaced must not lock every device out
    }
    if (info.mtimeMs === this.loaded.mtimeMs && info.size === this.loaded.size) return;
    this.parsed = parseCredentials(readFileSync(this.path, 'utf8'));
    this.loaded = { mtimeMs: info.mtimeMs, size: info.size };
    this.verified.clear();
    if (this.parsed.skipped > 0)
      log.warn(
        { path: this.path, skipped: this.parsed.skipped },
        'credentials lines that are neither "<device> <sha256-hex>" nor Mosquitto $7$ entries were skipped',
      );
  }
}

function badToken(device: string): AuthResult {
  return {
    ok: false,
    failure: 'bad-token',
    message: `the token is wrong for device ${JSON.stringify(device)}`,
  };
}
