// Issue 12 item 11 and issue 15 item 5, with a real mosquitto running deploy/mosquitto.conf as
// shipped and users made by provision-device (--csv) and provision-collector:
// - a device that connects with the collector's client ids and a clean session while the collector
//   is away does not wipe the collector's queued session (it did: 220 of 794 records lost);
// - a device reusing another device's client id does not kick it off;
// - a device reads only its own cmd/# and publishes only its own deployment topic;
// - a collector with two connections (a user each) and a provisioned agent still work.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Outbox } from '../../agent/publish/outbox.js';
import { Publisher } from '../../agent/publish/publisher.js';
import { Collector, type CollectorConfig } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { buildTopic, encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { spoolRecords } from '../spool/records.js';
import type { Mosquitto } from '../support/mosquitto.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith, hasTools } from '../support/tools.js';
import { provision, provisionCollector } from './provision-helper.js';
import { startShippedMosquitto } from './shipped-broker.js';

const dir = tempDir('edgewatt-client-id-');
const out = join(dir.path, 'provision');
let broker: Mosquitto;
let store: SqliteStore;
const creds: Record<string, { username: string; password: string }> = {};
let collectorConfig: CollectorConfig;

const record = (seq: number): InferenceRecord => ({ ...spoolRecords(1, seq)[0], seq }) as InferenceRecord;
const batch = (device: string, seq: number) =>
  Buffer.from(encodeMessage({ v: 1, type: 'inference', device, records: [record(seq)] }));
const storedSeqs = (device: string) =>
  [...store.records()].filter((r) => r.device === device).map((r) => r.seq);

function connectAs(who: string, clientId: string, extra: mqtt.IClientOptions = {}) {
  return mqtt.connectAsync(broker.url, { ...creds[who], clientId, reconnectPeriod: 0, ...extra });
}

beforeAll(async () => {
  if (!hasTools('mosquitto')) return;
  const csv = join(dir.path, 'devices.csv');
  writeFileSync(csv, 'fleet,device,board,sensor\nlab,dev-a,rpi4,simulated\nlab,dev-b,rpi4,simulated\n');
  writeFileSync(
    join(dir.path, 'acl'),
    readFileSync(new URL('../../deploy/acl/edgewatt.acl', import.meta.url)),
  );
  const files = ['--password-file', join(out, 'passwd'), '--acl-file', join(out, 'acl')];
  await provision(out, '--csv', csv, ...files);
  await provisionCollector(out, 'c1', '--connections', '2', '--shared-group', 'edgewatt', ...files);
  for (const device of ['dev-a', 'dev-b']) {
    const config = JSON.parse(readFileSync(join(out, `lab.${device}.agent.json`), 'utf8')) as {
      agent: { username: string; password: string };
    };
    creds[device] = { username: config.agent.username, password: config.agent.password };
  }
  const collector = JSON.parse(readFileSync(join(out, 'c1.collector.json'), 'utf8')) as {
    collector: CollectorConfig;
  };
  collectorConfig = collector.collector;
  creds.c1 = { username: 'c1-0', password: collectorConfig.password ?? '' };
  broker = await startShippedMosquitto(join(out, 'passwd'), join(out, 'acl'));
}, 60_000);

afterAll(async () => {
  await broker?.remove();
  dir.remove();
});

describeWith(['mosquitto'], 'client ids bound to users (deploy/mosquitto.conf, real mosquitto)', () => {
  it("keeps the collector's queued session when a device connects with its client ids and a clean session", async () => {
    const collect = () => {
      store = new SqliteStore(join(dir.path, 'client-id.sqlite'));
      return new Collector(store, { ...collectorConfig, broker: broker.url, usernamePerConnection: true });
    };
    let collector = collect();
    await collector.start(); // persistent sessions c1-0, c1-1 with their shared subscriptions
    await collector.stop();
    const a = await connectAs('dev-a', 'a', { protocolVersion: 5 });
    for (let seq = 0; seq < 40; seq++)
      await a.publishAsync(
        buildTopic({ fleet: 'lab', device: 'dev-a', kind: 'inference' }),
        batch('dev-a', seq),
        { qos: 1 },
      );
    // The attack: the collector's client ids (as it asks for them, and as the broker names them), clean.
    for (const clientId of ['c1-0', 'c1-1', 'c1']) {
      const thief = await connectAs('dev-b', clientId, { clean: true });
      await thief.endAsync();
    }
    await a.endAsync();
    collector = collect();
    await collector.start();
    await waitFor('queued records stored', () => storedSeqs('dev-a').length === 40, 30_000).catch(
      () => undefined,
    );
    await collector.idle();
    const stored = storedSeqs('dev-a').sort((x, y) => x - y);
    await collector.stop();
    // On the config before `use_username_as_clientid`, the thief's clean sessions wiped the queue.
    expect(stored).toEqual(Array.from({ length: 40 }, (_, i) => i));
  }, 60_000);

  it('does not let a device kick another off by reusing its client id', async () => {
    const stateDir = join(dir.path, 'agent-a');
    const spool = new Outbox(stateDir, 'dev-a');
    const publisher = new Publisher(spool, {
      brokerUrl: broker.url,
      fleet: 'lab',
      device: 'dev-a',
      describe: {},
      stateDir,
      ...creds['dev-a'],
    });
    try {
      await waitFor('agent connected', () => publisher.isConnected);
      for (let i = 0; i < 10; i++) {
        const kicker = await connectAs('dev-b', `edgewatt-agent-lab-dev-a`);
        await kicker.endAsync();
      }
      const kicker = await connectAs('dev-b', 'lab.dev-a'); // the id the broker gives A
      await kicker.endAsync();
      // A barrier: a batch acknowledged after the kicks went over A's one connection.
      const sealed = spool.seal(spoolRecords(1));
      publisher.enqueue(sealed.firstSeq, sealed.count);
      expect(await publisher.drain(5_000)).toBe(true);
      expect(publisher.stats.connectionLosses).toBe(0);
      expect(publisher.stats.connects).toBe(1);
    } finally {
      await publisher.close();
    }
  });

  it('lets a device read only its own cmd/# and publish only its own deployment topic', async () => {
    const a = await connectAs('dev-a', 'a', { protocolVersion: 5 });
    const b = await connectAs('dev-b', 'b');
    const operator = await connectAs('c1', 'op');
    const seenByA: string[] = [];
    const seenByB: string[] = [];
    const seenByOperator: string[] = [];
    a.on('message', (t) => seenByA.push(t));
    b.on('message', (t) => seenByB.push(t));
    operator.on('message', (t) => seenByOperator.push(t));
    await a.subscribeAsync(['edgewatt/v1/lab/dev-b/cmd/#', 'edgewatt/v1/lab/dev-a/cmd/#'], { qos: 1 });
    await b.subscribeAsync('edgewatt/v1/lab/dev-b/cmd/#', { qos: 1 });
    await operator.subscribeAsync('edgewatt/v1/+/+/deployment', { qos: 1 });
    await operator.publishAsync('edgewatt/v1/lab/dev-b/cmd/model', 'for b', { qos: 1 });
    await operator.publishAsync('edgewatt/v1/lab/dev-a/cmd/model', 'for a', { qos: 1 });
    await waitFor('A and B got their own commands', () => seenByA.length === 1 && seenByB.length === 1);
    expect(seenByA).toEqual(['edgewatt/v1/lab/dev-a/cmd/model']);
    await a.publishAsync('edgewatt/v1/lab/dev-a/deployment', 'committed', { qos: 1 });
    await waitFor('own deployment status delivered', () => seenByOperator.length === 1);
    await expect(a.publishAsync('edgewatt/v1/lab/dev-b/deployment', 'forged', { qos: 1 })).rejects.toThrow(
      /Not authorized/i,
    );
    // B's own, after the forged one: had the broker routed the forgery, it would have come first.
    await b.publishAsync('edgewatt/v1/lab/dev-b/deployment', 'b committed', { qos: 1 });
    await waitFor("B's deployment status delivered", () => seenByOperator.length === 2);
    expect(seenByOperator).toEqual(['edgewatt/v1/lab/dev-a/deployment', 'edgewatt/v1/lab/dev-b/deployment']);
    await Promise.all([a.endAsync(true), b.endAsync(), operator.endAsync()]);
  });
});
