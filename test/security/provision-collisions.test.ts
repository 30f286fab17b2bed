// Issue 12 item 12 and issue 15 item 5: provisioning never makes two devices one broker user
// (fleet `lab.x` + device `y` against fleet `lab` + device `x.y`), never replaces a provisioned
// device or collector without --force, and provisions a CSV of devices in one go, naming the line
// and column of every bad cell.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDevicesCsv } from '../../cli/commands/provision-csv.js';
import { aclUsers, passwordUsers } from '../../cli/commands/provision-files.js';
import { tempDir } from '../support/stack.js';
import { provision, provisionCollector } from './provision-helper.js';

let dir: ReturnType<typeof tempDir>;
let out: string;
beforeEach(() => {
  dir = tempDir('edgewatt-provision-collisions-');
  out = join(dir.path, 'p');
});
afterEach(() => dir.remove());

const passwd = () => readFileSync(join(out, 'mosquitto.passwd'), 'utf8');
const acl = () => readFileSync(join(out, 'mosquitto.acl'), 'utf8');

describe('provisioning collisions (issue 12 item 12)', () => {
  it('refuses a fleet id with "." so that lab.x + y and lab + x.y cannot both be user lab.x.y', async () => {
    await provision(out, 'x.y', '--fleet', 'lab');
    await expect(provision(out, 'y', '--fleet', 'lab.x')).rejects.toThrow(
      /fleet id "lab\.x" may not contain "\." for provisioning/,
    );
    // The first device's entry and block are untouched, and there is exactly one of each.
    expect(passwordUsers(passwd())).toEqual(['lab.x.y']);
    expect([...aclUsers(acl())]).toContainEqual(['lab.x.y', '# edgewatt device lab/x.y']);
    expect(acl().match(/^user lab\.x\.y$/gm)).toHaveLength(1);
  });

  it('refuses to re-provision a device without --force, and replaces it (new password) with it', async () => {
    await provision(out, 'a', '--fleet', 'lab');
    const before = passwd();
    await expect(provision(out, 'a', '--fleet', 'lab')).rejects.toThrow(
      /device lab\/a is already provisioned .*pass --force/,
    );
    expect(passwd()).toBe(before);
    await provision(out, 'a', '--fleet', 'lab', '--force');
    expect(passwd()).not.toBe(before);
    expect(passwordUsers(passwd())).toEqual(['lab.a']);
  });

  it('never gives a device a user name that belongs to another device, even with --force', async () => {
    await provision(out, 'a', '--fleet', 'lab');
    const before = passwd();
    for (const extra of [[], ['--force']]) {
      await expect(provision(out, 'b', '--fleet', 'lab', '--username', 'lab.a', ...extra)).rejects.toThrow(
        /broker user lab\.a for device lab\/b already belongs to device lab\/a/,
      );
    }
    expect(passwd()).toBe(before);
    expect(acl()).not.toContain('# edgewatt device lab/b');
  });

  it('does not take over a user added by hand (the collector) without --force', async () => {
    await provision(out, 'a', '--fleet', 'lab');
    await expect(provision(out, 'b', '--fleet', 'lab', '--username', 'edgewatt-collector')).rejects.toThrow(
      /broker user edgewatt-collector .* already exists .*an entry added by hand/,
    );
  });

  it('drops the old user of a device re-provisioned under another user name', async () => {
    await provision(out, 'a', '--fleet', 'lab');
    await provision(out, 'a', '--fleet', 'lab', '--username', 'lab-a', '--force');
    expect(passwordUsers(passwd())).toEqual(['lab-a']);
    expect(acl().match(/^user /gm)).toHaveLength(2); // edgewatt-collector and lab-a
  });

  it('keeps collector users apart from device users, and a collector is not replaced without --force', async () => {
    await provisionCollector(out, 'c1', '--connections', '3', '--shared-group', 'edgewatt');
    expect(passwordUsers(passwd())).toEqual(['c1-0', 'c1-1', 'c1-2']);
    await expect(provisionCollector(out, 'c1')).rejects.toThrow(/already exists; pass --force/);
    await expect(provisionCollector(join(dir.path, 'q'), 'c.1')).rejects.toThrow(/may not contain "\."/);
    // A collector cannot be named like an existing user of another collector.
    await expect(provisionCollector(out, 'c1-1')).rejects.toThrow(/already belongs to collector c1/);
  });
});

describe('provision-device --csv (issue 15 item 5)', () => {
  it('provisions every device with one write of the password and ACL files', async () => {
    const csv = join(dir.path, 'devices.csv');
    writeFileSync(
      csv,
      [
        'fleet,device,board,sensor,model',
        'lab,pi4-01,rpi4,ina219,/opt/m',
        '# a comment',
        '',
        'lab,pi4-02,rpi4,"simulated",',
        'field,orin-1,jetson-orin-nano,jetson-ina3221',
        'field,x.y',
      ].join('\n'),
    );
    const printed = await provision(out, '--csv', csv);
    expect(printed).toContain('provisioned field/x.y as broker user field.x.y');
    expect(passwordUsers(passwd())).toEqual(['lab.pi4-01', 'lab.pi4-02', 'field.orin-1', 'field.x.y']);
    const config = (name: string) =>
      (JSON.parse(readFileSync(join(out, `${name}.agent.json`), 'utf8')) as { agent: Record<string, string> })
        .agent;
    expect(config('lab.pi4-01')).toMatchObject({
      fleet: 'lab',
      device: 'pi4-01',
      sensor: 'ina219:rpi4',
      model: '/opt/m',
    });
    expect(config('lab.pi4-02')).toMatchObject({ sensor: 'simulated:rpi4' });
    expect(config('lab.pi4-02').model).toBeUndefined();
    expect(config('field.orin-1').sensor).toBe('jetson-ina3221:jetson-orin-nano');
    expect(acl()).toContain(
      [
        '# edgewatt device field/orin-1',
        'user field.orin-1',
        'topic write edgewatt/v1/field/orin-1/inference',
        'topic write edgewatt/v1/field/orin-1/power',
        'topic write edgewatt/v1/field/orin-1/offload',
        'topic write edgewatt/v1/field/orin-1/feedback',
        'topic write edgewatt/v1/field/orin-1/answer',
        'topic write edgewatt/v1/field/orin-1/deployment',
        'topic readwrite edgewatt/v1/field/orin-1/status',
        'topic read edgewatt/v1/field/orin-1/cmd/#',
        '',
      ].join('\n'),
    );
  });

  it('names the line and column of every bad cell and writes nothing', async () => {
    const csv = join(dir.path, 'bad.csv');
    writeFileSync(
      csv,
      ['lab,ok-1', 'lab.x,y', 'lab,bad/id', 'lab,ok-2,rpi9,ina219', 'lab,ok-1', 'lab', 'lab,z,rpi4'].join(
        '\n',
      ),
    );
    const error = await provision(out, '--csv', csv).catch((e: Error) => e);
    expect(String(error)).toContain('bad.csv line 2, column 1 (fleet): fleet id "lab.x" may not contain "."');
    expect(String(error)).toContain('bad.csv line 3, column 2 (device): device id "bad/id" may only contain');
    expect(String(error)).toContain('bad.csv line 4, column 3 (board): unknown board "rpi9"');
    expect(String(error)).toContain('bad.csv line 5: device lab/ok-1 is already on line 1');
    expect(String(error)).toContain('bad.csv line 6: 1 column; expected 2 to 5');
    expect(String(error)).toContain('bad.csv line 7, column 4 (sensor): a board is given without a sensor');
    expect(() => readFileSync(join(out, 'mosquitto.passwd'))).toThrow(/ENOENT/);
  });

  it('refuses the whole CSV when one device is already provisioned, unless --force', async () => {
    await provision(out, 'b', '--fleet', 'lab');
    const before = passwd();
    const csv = join(dir.path, 'devices.csv');
    writeFileSync(csv, 'lab,a\nlab,b\n');
    await expect(provision(out, '--csv', csv)).rejects.toThrow(
      /device lab\/b \(line 2 of devices\.csv\) is already provisioned/,
    );
    expect(passwd()).toBe(before);
    await provision(out, '--csv', csv, '--force');
    expect(passwordUsers(passwd()).sort()).toEqual(['lab.a', 'lab.b']);
  });

  it('reads quoted fields and a header, and refuses a header with other columns', () => {
    expect(
      parseDevicesCsv('fleet,device,board,sensor,model\r\n"lab","a","","ina219","/opt/a,b"\r\n', 'q.csv'),
    ).toEqual([
      { fleet: 'lab', device: 'a', sensor: 'ina219', model: '/opt/a,b', source: 'line 2 of q.csv' },
    ]);
    expect(() => parseDevicesCsv('fleet,name\nlab,a\n', 'h.csv')).toThrow(
      'h.csv line 1, column 2 (device): header says "name"; the columns are fleet,device,board,sensor,model',
    );
    expect(() => parseDevicesCsv('lab,"a\n', 'u.csv')).toThrow('u.csv line 1: a quoted field is not closed');
    expect(() => parseDevicesCsv('# nothing\n', 'e.csv')).toThrow('e.csv lists no devices');
  });
});
