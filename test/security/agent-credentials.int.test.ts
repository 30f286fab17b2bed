// Issue 12 item 9 with a real Mosquitto configured as `edgewatt provision-device` makes it
// (password file + ACL): an agent whose user name does not own its device id (user lab.pi4-01
// running as --device pi4-02) has its publishes refused (MQTT 5 PUBACK 0x87) and keeps them in its
// spool, counted, and the run does not end as a success; a wrong password is one fatal line at start.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Outbox } from '../../agent/publish/outbox.js';
import { Publisher } from '../../agent/publish/publisher.js';
import { mosquittoPasswordHash } from '../../cli/commands/provision-files.js';
import { Collector } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { spoolRecords } from '../spool/records.js';
import { demoAgentArgs } from '../support/agent-args.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { runCli } from '../support/process.js';
import { demoModel, tempDir, waitFor } from '../support/stack.js';
import { describeWith, hasTools } from '../support/tools.js';
import { provision } from './provision-helper.js';

const dir = tempDir('edgewatt-agent-creds-');
const out = join(dir.path, 'provision');
const COLLECTOR = { username: 'edgewatt-collector', password: 'collector-secret' };
let broker: Mosquitto;
let store: SqliteStore;
let collector: Collector;
let modelPath = '';
const creds: Record<string, { username: string; password: string }> = {};
const storedFor = (device: string) => [...store.records()].filter((r) => r.device === device).length;

beforeAll(async () => {
  if (!hasTools('mosquitto')) return;
  for (const device of ['pi4-01', 'pi4-02']) {
    await provision(out, device, '--fleet', 'lab');
    const config = JSON.parse(readFileSync(join(out, `lab.${device}.agent.json`), 'utf8')) as {
      agent: { username: string; password: string };
    };
    creds[device] = { username: config.agent.username, password: config.agent.password };
  }
  const passwdFile = join(out, 'mosquitto.passwd');
  writeFileSync(
    passwdFile,
    `${readFileSync(passwdFile, 'utf8')}${COLLECTOR.username}:${mosquittoPasswordHash(COLLECTOR.password)}\n`,
  );
  broker = await startMosquitto({
    extraConfig: [
      'allow_anonymous false',
      `password_file ${passwdFile}`,
      `acl_file ${join(out, 'mosquitto.acl')}`,
    ].join('\n'),
  });
  store = new SqliteStore(join(dir.path, 'creds.sqlite'));
  collector = new Collector(store, { broker: broker.url, clientId: 'creds-collector', ...COLLECTOR });
  await collector.start();
  modelPath = await demoModel(dir.path);
}, 60_000);

/** Agent processes started here; a test that fails or times out must not leave one running. */
const started: ReturnType<typeof runCli>[] = [];
const agentProcess = (args: string[]) => {
  const running = runCli(args);
  started.push(running);
  return running;
};

afterAll(async () => {
  for (const running of started) if (running.child.exitCode === null) running.child.kill('SIGKILL');
  await collector?.stop();
  await broker?.remove();
  dir.remove();
});

const agentArgs = (device: string, stateDir: string, who: { username: string; password: string }) =>
  demoAgentArgs({
    ...{ broker: broker.url, fleet: 'lab', device, modelPath, stateDir, rate: 100, batchMax: 5 },
    extra: ['--username', who.username, '--password', who.password],
  });

describeWith(['mosquitto'], 'agent credentials that do not match the device (real mosquitto + ACL)', () => {
  it('keeps refused batches in the spool and counts them, and stores the device’s own batches', async () => {
    const stateDir = join(dir.path, 'publisher-wrong-device');
    const spool = new Outbox(stateDir, 'pi4-02');
    const publisher = new Publisher(spool, {
      brokerUrl: broker.url,
      fleet: 'lab',
      device: 'pi4-02',
      describe: {},
      ...creds['pi4-01'], // pi4-01's user running as pi4-02
      stateDir,
      reconnect: { minMs: 50, maxMs: 200 },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const sealed = spool.seal(spoolRecords(4, i * 4));
        publisher.enqueue(sealed.firstSeq, sealed.count);
      }
      await waitFor('refused publishes', () => publisher.stats.publishesRefused >= 2, 30_000);
      expect(publisher.stats.lastRefusal).toMatchObject({ reasonCode: 0x87, reason: 'Not authorized' });
      expect(publisher.stats.batchesSent).toBe(0);
      expect(await publisher.drain(300)).toBe(false);
      expect(spool.stats()).toMatchObject({ pendingBatches: 3, pendingRecords: 12 });
      expect(storedFor('pi4-02')).toBe(0);
    } finally {
      await publisher.close();
    }

    // The same spool under the right user is delivered in full: nothing was lost meanwhile.
    const right = new Publisher(new Outbox(stateDir, 'pi4-02'), {
      brokerUrl: broker.url,
      fleet: 'lab',
      device: 'pi4-02',
      describe: {},
      ...creds['pi4-02'],
      stateDir,
    });
    try {
      expect(await right.drain(10_000)).toBe(true);
      expect(right.stats.publishesRefused).toBe(0);
      await waitFor('12 records of pi4-02 stored', () => storedFor('pi4-02') === 12);
    } finally {
      await right.close();
    }
  });

  it('an agent process as the wrong device ends with an error and keeps its records', async () => {
    const stateDir = join(dir.path, 'agent-wrong-device');
    const agent = agentProcess([
      ...agentArgs('pi4-02', stateDir, creds['pi4-01'] ?? COLLECTOR),
      '--count',
      '20',
    ]);
    const { code } = await agent.exited;
    expect(code, agent.stderr()).toBe(1);
    expect(agent.stderr()).toMatch(
      /edgewatt: the broker refused \d+ publish\(es\) \(last: Not authorized\); 20 records stay in the spool/,
    );
    const batches = readdirSync(join(stateDir, 'outbox')).filter((file) => file.endsWith('.batch'));
    expect(batches.length).toBeGreaterThan(0);
    expect(storedFor('pi4-02')).toBe(12); // only the first test's
  }, 60_000);

  it('a wrong password is one fatal line at start, no stack', async () => {
    const stateDir = join(dir.path, 'agent-wrong-password');
    const agent = agentProcess(agentArgs('pi4-01', stateDir, { username: 'lab.pi4-01', password: 'guess' }));
    const { code } = await agent.exited;
    expect(code, agent.stderr()).toBe(1);
    const lines = agent.stderr().trim().split('\n');
    expect(lines, agent.stderr()).toEqual([
      expect.stringMatching(
        /^edgewatt: the MQTT broker at mqtt:\/\/127\.0\.0\.1:\d+ refused user "lab\.pi4-01" \(.*(Bad User Name or Password|Not authorized).*\) \(check --username and --password/i,
      ),
    ]);
  }, 60_000);
});
