// The files in deploy/ work as shipped: the Grafana provisioning there is exactly what `edgewatt
// dashboards build` makes, and a real mosquitto running deploy/mosquitto.conf with the ACL and
// credentials of `edgewatt provision-device` carries a provisioned agent's records to a
// password-authenticated collector in a shared group, into a real InfluxDB.

import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { Collector } from '../../collector/collector.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { buildAll } from '../../dashboards/index.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { runCli } from '../support/process.js';
import { demoModel, tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { agentConfig, storedKeys } from './fixtures.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const GRAFANA_DASHBOARDS = '/var/lib/grafana/dashboards/edgewatt';

describe('deploy/grafana', () => {
  it('is what `edgewatt dashboards build` makes (rebuild it after changing dashboards/)', () => {
    const built = buildAll({
      influxUrl: 'http://127.0.0.1:8086',
      database: 'edgewatt',
      dashboardsPath: GRAFANA_DASHBOARDS,
    });
    for (const file of built) {
      const shipped = readFileSync(join(DEPLOY, 'grafana', file.path), 'utf8');
      // JSON compared as data: the repository's formatter may lay it out differently.
      if (file.path.endsWith('.json'))
        expect(JSON.parse(shipped), file.path).toEqual(JSON.parse(file.content));
      else expect(shipped, file.path).toBe(file.content);
    }
    const files = readdirSync(join(DEPLOY, 'grafana', 'dashboards'));
    expect(files.sort()).toEqual(
      built
        .filter((f) => f.path.startsWith('dashboards/'))
        .map((f) => f.path.slice(11))
        .sort(),
    );
  });

  it('gives every dashboard a stable uid and every query the provisioned data source', () => {
    const uids = buildAll({ influxUrl: 'http://x:8086', database: 'db', dashboardsPath: '/d' })
      .filter((f) => f.path.endsWith('.json'))
      .map(
        (f) =>
          JSON.parse(f.content) as { uid: string; panels: { targets?: { datasource: { uid: string } }[] }[] },
      );
    expect(uids.map((d) => d.uid)).toEqual([
      'edgewatt-fleet',
      'edgewatt-models',
      'edgewatt-edge-vs-offload',
      'edgewatt-experiments',
      'edgewatt-rollouts',
      'edgewatt-offload',
    ]);
    const targets = uids.flatMap((d) => d.panels.flatMap((p) => p.targets ?? []));
    expect(targets.every((t) => t.datasource.uid === 'edgewatt-influxdb')).toBe(true);
    expect(readFileSync(join(DEPLOY, 'grafana/provisioning/datasources/edgewatt.yaml'), 'utf8')).toContain(
      'uid: edgewatt-influxdb',
    );
  });
});

describeWith(
  ['mosquitto', 'mosquitto_passwd', 'influxd'],
  'deploy/mosquitto.conf with provisioned devices (real mosquitto, real influxd)',
  () => {
    const dir = tempDir('edgewatt-deploy-');
    let mosquitto: Mosquitto;
    let influx: Influxd;

    beforeAll(async () => {
      const passwd = join(dir.path, 'edgewatt.passwd');
      const acl = join(dir.path, 'edgewatt.acl');
      copyFileSync(join(DEPLOY, 'acl/edgewatt.acl'), acl);
      const provision = runCli([
        'provision-device',
        'pi4-01',
        '--fleet',
        'lab',
        '--out',
        dir.path,
        '--password-file',
        passwd,
        '--acl-file',
        acl,
        '--sensor',
        'simulated:rpi4',
      ]);
      expect((await provision.exited).code, provision.stderr()).toBe(0);
      const collector = runCli([
        'provision-collector',
        'collector-1',
        '--connections',
        '2',
        '--shared-group',
        'edgewatt',
        '--out',
        dir.path,
        '--password-file',
        passwd,
        '--acl-file',
        acl,
      ]);
      expect((await collector.exited).code, collector.stderr()).toBe(0);
      // A user added by hand still works too (one connection: its user name is its client id).
      execFileSync('mosquitto_passwd', ['-b', passwd, 'edgewatt-collector', 'collector-secret']);
      const shipped = readFileSync(join(DEPLOY, 'mosquitto.conf'), 'utf8');
      mosquitto = await startMosquitto({
        config: (port, mdir) =>
          `${shipped
            .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
            .replaceAll('/etc/mosquitto/edgewatt.passwd', passwd)
            .replaceAll(
              '/etc/mosquitto/edgewatt.acl',
              acl,
            )}\nuser ${process.env.USER ?? 'root'}\npersistence_location ${mdir}/\n`,
      });
      influx = await startInfluxd();
    }, 60_000);

    afterAll(async () => {
      await mosquitto?.remove();
      await influx?.remove();
      dir.remove();
    });

    it('carries a provisioned agent to a provisioned collector with two connections in a shared group', async () => {
      const store = new InfluxStore(`127.0.0.1:${influx.port}/edgewatt`, {
        spoolDir: join(dir.path, 'spool'),
        flushIntervalMs: 50,
      });
      const provisioned = JSON.parse(readFileSync(join(dir.path, 'collector-1.collector.json'), 'utf8')) as {
        collector: {
          username: string;
          password: string;
          connections: number;
          usernamePerConnection: boolean;
        };
      };
      expect(provisioned.collector).toMatchObject({ connections: 2, usernamePerConnection: true });
      const collector = new Collector(store, {
        ...provisioned.collector,
        broker: mosquitto.url,
        clientId: 'collector-1',
        sharedGroup: 'edgewatt',
      });
      await collector.start();
      const device = JSON.parse(readFileSync(join(dir.path, 'lab.pi4-01.agent.json'), 'utf8')) as {
        agent: { username: string; password: string };
      };
      const modelPath = await demoModel(dir.path);
      const agent = await Agent.start({
        ...agentConfig(mosquitto.url, modelPath, dir.path, { device: 'pi4-01', count: 30 }),
        fleet: 'lab',
        username: device.agent.username,
        password: device.agent.password,
      });
      await agent.finished();
      await agent.stop();
      await collector.idle();
      await store.drained();
      expect((await storedKeys(influx, 'edgewatt')).sort()).toEqual(
        Array.from({ length: 30 }, (_, i) => `pi4-01/${i}`).sort(),
      );
      await collector.stop();
    }, 60_000);
  },
);
