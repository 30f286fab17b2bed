// `edgewatt provision-device`: the password entry is what mosquitto_passwd would write (checked
// by recomputing PBKDF2-SHA512 and by the real `mosquitto_passwd -U` tool's format), the ACL block
// is replaced not duplicated on re-provisioning, and the agent config file is private.

import { execFileSync } from 'node:child_process';
import { pbkdf2Sync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACL_TEMPLATE, mosquittoPasswordHash } from '../../cli/commands/provision-files.js';
import { resolveConfig } from '../../cli/config.js';
import { agentSchema } from '../../cli/schemas.js';
import { tempDir } from '../support/stack.js';
import { provision } from './provision-helper.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir('edgewatt-provision-');
});
afterEach(() => dir.remove());

describe('mosquitto password hash', () => {
  it('is $7$101$<12-byte salt>$<PBKDF2-SHA512 of the password>, as mosquitto_passwd writes it', () => {
    const hash = mosquittoPasswordHash('s3cret');
    const [, kind, iterations, salt, digest] = hash.split('$');
    expect([kind, iterations]).toEqual(['7', '101']);
    expect(Buffer.from(salt ?? '', 'base64')).toHaveLength(12);
    expect(digest).toBe(
      pbkdf2Sync('s3cret', Buffer.from(salt ?? '', 'base64'), 101, 64, 'sha512').toString('base64'),
    );
    expect(mosquittoPasswordHash('s3cret')).not.toBe(hash); // a fresh salt each time
  });
});

describe('edgewatt provision-device', () => {
  it('writes the password entry, the ACL block and a private agent config', async () => {
    const out = join(dir.path, 'p');
    const printed = await provision(
      out,
      'pi4-01',
      '--fleet',
      'lab',
      '--broker',
      'mqtts://broker.lan:8883',
      '--sensor',
      'ina219:rpi4',
    );
    expect(printed).toContain('provisioned lab/pi4-01 as broker user lab.pi4-01');
    const passwd = readFileSync(join(out, 'mosquitto.passwd'), 'utf8');
    expect(passwd).toMatch(/^lab\.pi4-01:\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}\n$/);
    const agentFile = join(out, 'lab.pi4-01.agent.json');
    const config = JSON.parse(readFileSync(agentFile, 'utf8')) as { agent: Record<string, string> };
    expect(config.agent).toMatchObject({
      broker: 'mqtts://broker.lan:8883',
      fleet: 'lab',
      device: 'pi4-01',
      username: 'lab.pi4-01',
      sensor: 'ina219:rpi4',
    });
    const [, , salt, digest] = (passwd.trim().split(':')[1] ?? '').slice(1).split('$');
    expect(
      pbkdf2Sync(config.agent.password ?? '', Buffer.from(salt ?? '', 'base64'), 101, 64, 'sha512').toString(
        'base64',
      ),
    ).toBe(digest);
    expect(statSync(agentFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, 'mosquitto.passwd')).mode & 0o777).toBe(0o600);
    const acl = readFileSync(join(out, 'mosquitto.acl'), 'utf8');
    expect(acl.startsWith(ACL_TEMPLATE)).toBe(true);
    expect(acl).toContain(
      [
        '# edgewatt device lab/pi4-01',
        'user lab.pi4-01',
        'topic write edgewatt/v1/lab/pi4-01/inference',
        'topic write edgewatt/v1/lab/pi4-01/power',
        'topic write edgewatt/v1/lab/pi4-01/offload',
        'topic write edgewatt/v1/lab/pi4-01/feedback',
        'topic write edgewatt/v1/lab/pi4-01/answer',
        'topic write edgewatt/v1/lab/pi4-01/deployment',
        'topic readwrite edgewatt/v1/lab/pi4-01/status',
        'topic read edgewatt/v1/lab/pi4-01/cmd/#',
      ].join('\n'),
    );
  });

  it('replaces, not duplicates, a device re-provisioned with --force, and keeps the others', async () => {
    const out = join(dir.path, 'p');
    await provision(out, 'a', '--fleet', 'lab');
    await provision(out, 'b', '--fleet', 'lab');
    const firstPassword = readFileSync(join(out, 'mosquitto.passwd'), 'utf8');
    await provision(out, 'a', '--fleet', 'lab', '--force');
    const passwd = readFileSync(join(out, 'mosquitto.passwd'), 'utf8').trim().split('\n');
    expect(passwd.map((line) => line.split(':')[0])).toEqual(['lab.b', 'lab.a']);
    expect(passwd).not.toContain(firstPassword.trim().split('\n')[0]);
    const acl = readFileSync(join(out, 'mosquitto.acl'), 'utf8');
    expect(acl.match(/# edgewatt device lab\/a\n/g)).toHaveLength(1);
    expect(acl.match(/# edgewatt device lab\/b\n/g)).toHaveLength(1);
    expect(acl.match(/^user lab\.a$/gm)).toHaveLength(1);
  });

  it('writes an agent config that `edgewatt agent --config` accepts as it is', async () => {
    const out = join(dir.path, 'p');
    const ca = join(dir.path, 'ca.crt');
    writeFileSync(ca, 'PEM');
    await provision(
      out,
      'pi5-07',
      '--fleet',
      'lab',
      '--sensor',
      'simulated:rpi5',
      '--model',
      '/opt/m',
      '--trusted-key',
      '/opt/fleet.pub.pem',
      '--ca',
      ca,
    );
    const command = new Command('agent').option('--config <path>').exitOverride();
    command.parse(['--config', join(out, 'lab.pi5-07.agent.json')], { from: 'user' });
    const config = await resolveConfig(agentSchema, 'agent', command, {});
    expect(config).toMatchObject({
      fleet: 'lab',
      device: 'pi5-07',
      username: 'lab.pi5-07',
      ca,
      spool: 'file',
      trustedKey: ['/opt/fleet.pub.pem'],
      allowUnsigned: false,
    });
    expect(config.password).toHaveLength(32);
  });

  it('refuses a device id that is not a valid id', async () => {
    await expect(provision(join(dir.path, 'p'), 'bad/id')).rejects.toThrow(
      /device id "bad\/id" may only contain/,
    );
  });

  it('writes a password file that the real mosquitto_passwd tool reads and updates', async () => {
    const out = join(dir.path, 'p');
    await provision(out, 'pi-x', '--fleet', 'lab');
    // -b adds a second user to our file: mosquitto_passwd parses every existing line first.
    execFileSync('mosquitto_passwd', ['-b', join(out, 'mosquitto.passwd'), 'someone', 'pw']);
    const lines = readFileSync(join(out, 'mosquitto.passwd'), 'utf8').trim().split('\n');
    expect(lines.map((line) => line.split(':')[0]).sort()).toEqual(['lab.pi-x', 'someone']);
  });

  it('keeps deploy/acl/edgewatt.acl and the built-in template the same text', () => {
    expect(readFileSync(new URL('../../deploy/acl/edgewatt.acl', import.meta.url), 'utf8')).toBe(
      ACL_TEMPLATE,
    );
  });
});
