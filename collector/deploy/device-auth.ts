// Who may download artifacts from the registry: a device with its broker credentials (checked
// against the Mosquitto password file that `provision-device` writes: `user:$7$<iter>$<salt>$<hash>`,
// PBKDF2-SHA512) or a caller holding the collector's API token. The file is re-read when it changes,
// so a device provisioned after start (and a SIGHUP to Mosquitto) can download without a restart.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { logger } from '../../common/logger.js';
import { type PasswordEntry, parsePasswordFile, passwordDigest } from '../../common/password-file.js';

const log = logger('collector.registry.auth');

export { parsePasswordFile } from '../../common/password-file.js';

export interface Principal {
  /** `device` for a broker user from the password file, `operator` for the API token. */
  kind: 'device' | 'operator';
  name: string;
}

export interface DeviceAuthOptions {
  /** Mosquitto password file (PBKDF2-SHA512 `$7$` entries); none = devices cannot download. */
  passwordFile?: string | undefined;
  /** The collector's API token, accepted as `Bearer <token>` or as the password of HTTP Basic. */
  apiToken?: string | undefined;
}

const digest = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export class DeviceAuth {
  private entries = new Map<string, PasswordEntry>();
  private loadedMtimeMs = -1;
  private loadedSize = -1;
  /** PBKDF2 is slow by design; a device downloading a 50-file model pays it once, not 50 times. */
  private readonly verified = new Map<string, Buffer>();

  constructor(private readonly options: DeviceAuthOptions) {}

  /** The principal an `Authorization` header proves, or null (unknown user, wrong password, no header). */
  check(authorization: string | undefined): Principal | null {
    if (authorization === undefined) return null;
    const token = this.options.apiToken;
    const bearer = /^Bearer (.+)$/.exec(authorization)?.[1];
    if (bearer !== undefined) return token !== undefined && sameSecret(bearer, token) ? operator : null;
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization)?.[1];
    if (basic === undefined) return null;
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    if (token !== undefined && sameSecret(password, token)) return operator;
    return this.checkDevice(user, password) ? { kind: 'device', name: user } : null;
  }

  private checkDevice(user: string, password: string): boolean {
    this.reload();
    const entry = this.entries.get(user);
    if (entry === undefined) return false;
    const key = `${user}\0${password}`;
    const cached = this.verified.get(key);
    if (cached !== undefined) return timingSafeEqual(cached, entry.hash);
    const computed = passwordDigest(entry, password);
    const ok = timingSafeEqual(computed, entry.hash);
    if (ok) {
      if (this.verified.size > 10_000) this.verified.clear();
      this.verified.set(key, computed);
    }
    return ok;
  }

  private reload(): void {
    const path = this.options.passwordFile;
    if (path === undefined) return;
    let info: { mtimeMs: number; size: number };
    try {
      info = statSync(path);
    } catch (error) {
      if (this.loadedMtimeMs !== -2)
        log.warn(
          { path, err: (error as Error).message },
          'registry password file unreadable: devices cannot download',
        );
      this.loadedMtimeMs = -2;
      this.entries = new Map();
      return;
    }
    if (info.mtimeMs === this.loadedMtimeMs && info.size === this.loadedSize) return;
    const { entries, skipped } = parsePasswordFile(readFileSync(path, 'utf8'));
    if (skipped > 0)
      log.warn(
        { path, skipped },
        'password file lines that are not PBKDF2-SHA512 ($7$) entries were skipped',
      );
    this.entries = entries;
    this.verified.clear();
    this.loadedMtimeMs = info.mtimeMs;
    this.loadedSize = info.size;
  }
}

const operator: Principal = { kind: 'operator', name: 'api-token' };
