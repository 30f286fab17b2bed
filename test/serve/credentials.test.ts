// Device credentials of the inference server: token-hash lines and the Mosquitto password file
// that provision-device writes, each failure named, re-read when the file changes.

import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceCredentials } from '../../serve/credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'edgewatt-serve-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const bearer = (token: string) => `Bearer ${token}`;

function mosquittoEntry(user: string, password: string): string {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, 101, 64, 'sha512');
  return `${user}:$7$101$${salt.toString('base64')}$${hash.toString('base64')}`;
}

describe('DeviceCredentials', () => {
  const path = join(dir, 'credentials');
  writeFileSync(
    path,
    [
      '# edgewatt serve credentials',
      `pi-1 ${hex('token-of-pi-1')}`,
      mosquittoEntry('lab.pi-2', 'broker-password-2'),
      mosquittoEntry('lab.pi-3', 'broker-password-3'),
      mosquittoEntry('other.pi-3', 'other-password'),
      '',
    ].join('\n'),
  );
  const credentials = new DeviceCredentials(path);

  it('accepts a token whose SHA-256 is on the device line, and refuses another', () => {
    expect(credentials.check(bearer('token-of-pi-1'), 'pi-1')).toEqual({ ok: true, device: 'pi-1' });
    expect(credentials.check(bearer('token-of-pi-2'), 'pi-1')).toMatchObject({
      ok: false,
      failure: 'bad-token',
    });
  });

  it('accepts a provisioned device with its broker password, by user or by a unique device id', () => {
    expect(credentials.check(bearer('broker-password-2'), 'lab.pi-2')).toEqual({
      ok: true,
      device: 'lab.pi-2',
    });
    expect(credentials.check(bearer('broker-password-2'), 'pi-2')).toEqual({ ok: true, device: 'lab.pi-2' });
    expect(credentials.check(bearer('wrong'), 'pi-2')).toMatchObject({ ok: false, failure: 'bad-token' });
    // pi-3 is in two fleets: the bare id names neither.
    expect(credentials.check(bearer('broker-password-3'), 'pi-3')).toMatchObject({
      failure: 'unknown-device',
    });
    expect(credentials.check(bearer('broker-password-3'), 'lab.pi-3')).toMatchObject({ ok: true });
  });

  it('names what is missing: the token, the device header, an unknown device', () => {
    expect(credentials.check(undefined, 'pi-1')).toMatchObject({ failure: 'no-token' });
    expect(credentials.check('Basic abc', 'pi-1')).toMatchObject({ failure: 'no-token' });
    expect(credentials.check(bearer('token-of-pi-1'), undefined)).toMatchObject({ failure: 'no-device' });
    const unknown = credentials.check(bearer('token-of-pi-1'), 'pi-9');
    expect(unknown).toMatchObject({ failure: 'unknown-device' });
    expect(unknown.ok ? '' : unknown.message).toContain('"pi-9"');
  });

  it('reads the file again when it changes', () => {
    const file = join(dir, 'changing');
    writeFileSync(file, `a ${hex('one')}\n`);
    const changing = new DeviceCredentials(file);
    expect(changing.check(bearer('one'), 'a').ok).toBe(true);
    writeFileSync(file, `a ${hex('two')}\nb ${hex('three')}\n`);
    expect(changing.check(bearer('one'), 'a').ok).toBe(false);
    expect(changing.check(bearer('two'), 'a').ok).toBe(true);
    expect(changing.check(bearer('three'), 'b').ok).toBe(true);
  });
});
