// Per-device credentials and ACL with a real Mosquitto, configured from what
// `edgewatt provision-device` writes: a device publishes only under its own id and reads only its
// own commands; anonymous and wrong passwords are refused; the collector still rejects a payload
// whose device differs from the topic's. And TLS to the broker with a CA and a server certificate
// that the test generates with openssl.

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Outbox } from '../../agent/publish/outbox.js';
import { Publisher } from '../../agent/publish/publisher.js';
import { mosquittoPasswordHash } from '../../cli/commands/provision-files.js';
import { Collector } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { buildTopic, encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { spoolRecords } from '../spool/records.js';
import { makeTestCertificates } from '../support/certificates.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { waitForPort } from '../support/ports.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith, hasTools } from '../support/tools.js';
import { provision } from './provision-helper.js';

const ready = hasTools('mosquitto', 'openssl');

const dir = tempDir('edgewatt-security-');
const out = join(dir.path, 'provision');
const COLLECTOR = { username: 'edgewatt-collector', password: 'collector-secret' };
let broker: Mosquitto;
let tlsPort = 0;
let store: SqliteStore;
let collector: Collector;
const creds: Record<string, { username: string; password: string }> = {};

/**
 * A free port under Linux's ephemeral range (32768+), so that the broker helper, which asks the
 * kernel for a free port of its own, cannot be handed the same one.
 */
async function portBelowEphemeralRange(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

const record = (seq: number): InferenceRecord => ({ ...spoolRecords(1, seq)[0], seq }) as InferenceRecord;
const batch = (device: string, seq: number) =>
  Buffer.from(encodeMessage({ v: 1, type: 'inference', device, records: [record(seq)] }));
const topic = (device: string, kind: 'inference' | 'status' = 'inference') =>
  buildTopic({ fleet: 'lab', device, kind });
const storedKeys = () => [...store.records()].map((r) => `${r.device}/${r.seq}`);

async function connectAs(
  who: { username: string; password: string } | undefined,
  url = broker.url,
  extra: mqtt.IClientOptions = {},
): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(url, {
    ...who,
    clientId: `t-${Math.random().toString(36).slice(2)}`,
    reconnectPeriod: 0,
    ...extra,
  });
}

beforeAll(async () => {
  if (!ready) return;
  for (const device of ['dev-a', 'dev-b']) {
    await provision(out, device, '--fleet', 'lab');
    const config = JSON.parse(readFileSync(join(out, `lab.${device}.agent.json`), 'utf8')) as {
      agent: { username: string; password: string };
    };
    creds[device] = { username: config.agent.username, password: config.agent.password };
  }
  // The collector's entry, as an operator would add it with mosquitto_passwd.
  const passwdFile = join(out, 'mosquitto.passwd');
  writeFileSync(
    passwdFile,
    `${readFileSync(passwdFile, 'utf8')}${COLLECTOR.username}:${mosquittoPasswordHash(COLLECTOR.password)}\n`,
  );
  const certs = makeTestCertificates(dir.path);
  tlsPort = await portBelowEphemeralRange();
  broker = await startMosquitto({
    extraConfig: [
      // (test/support/mosquitto.ts keeps mosquitto as the invoking user, so it reads our 0600 files.)
      'allow_anonymous false',
      `password_file ${passwdFile}`,
      `acl_file ${join(out, 'mosquitto.acl')}`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${certs.ca}`,
      `certfile ${certs.cert}`,
      `keyfile ${certs.key}`,
    ].join('\n'),
  });
  await waitForPort(tlsPort, 'mosquitto TLS listener');
  store = new SqliteStore(join(dir.path, 'security.sqlite'));
  collector = new Collector(store, {
    broker: `mqtts://127.0.0.1:${tlsPort}`,
    ca: certs.ca,
    clientId: 'security-collector',
    ...COLLECTOR,
  });
  await collector.start();
}, 60_000);

afterAll(async () => {
  await collector?.stop();
  await broker?.remove();
  dir.remove();
});

describeWith(['mosquitto'], 'per-device credentials and ACL (real mosquitto)', () => {
  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(connectAs(undefined)).rejects.toThrow(/Not authorized|Bad username or password/i);
    await expect(connectAs({ username: creds['dev-a']?.username ?? '', password: 'guess' })).rejects.toThrow(
      /Not authorized|Bad username or password/i,
    );
  });

  it('lets device A publish under its own id but not as device B', async () => {
    // MQTT 5 so that the refusal is visible: mosquitto 2.0.11 answers the forged QoS 1 publish
    // with PUBACK reason 0x87 (not authorized), then closes the connection.
    const forger = await connectAs(creds['dev-a'], broker.url, { protocolVersion: 5 });
    await expect(forger.publishAsync(topic('dev-b'), batch('dev-b', 100), { qos: 1 })).rejects.toThrow(
      /Not authorized/i,
    );
    await forger.endAsync(true);
    const a = await connectAs(creds['dev-a']);
    await a.publishAsync(topic('dev-a'), batch('dev-a', 100), { qos: 1 });
    await waitFor('A stored', () => storedKeys().includes('dev-a/100'));
    await collector.idle();
    // The broker answered the forged publish (0x87) before A published: had it routed it, the
    // collector's connection would have carried it before A's batch, and it would be stored by now.
    expect(storedKeys()).not.toContain('dev-b/100');
    await a.endAsync();
  });

  it("keeps device A from reading device B's commands, which B receives", async () => {
    const a = await connectAs(creds['dev-a']);
    const b = await connectAs(creds['dev-b']);
    const seenByA: string[] = [];
    const seenByB: string[] = [];
    a.on('message', (t) => seenByA.push(t));
    b.on('message', (t) => seenByB.push(t));
    const granted = await a.subscribeAsync('edgewatt/v1/lab/dev-b/cmd/#', { qos: 1 });
    await a.subscribeAsync('edgewatt/v1/lab/+/cmd/#', { qos: 1 });
    await b.subscribeAsync('edgewatt/v1/lab/dev-b/cmd/#', { qos: 1 });
    const operator = await connectAs(COLLECTOR);
    await operator.publishAsync('edgewatt/v1/lab/dev-b/cmd/deploy', 'model v2', { qos: 1 });
    await waitFor('B got its command', () => seenByB.length === 1);
    // A barrier instead of a sleep: a command to A itself, published after B's. The broker keeps
    // the order on A's connection, so once A has its own, B's would have come before it.
    await operator.publishAsync('edgewatt/v1/lab/dev-a/cmd/ping', 'ping', { qos: 1 });
    await waitFor('A got its own command', () => seenByA.length >= 1);
    expect(seenByA).toEqual(['edgewatt/v1/lab/dev-a/cmd/ping']);
    // Mosquitto 2 refuses the subscription outright (SUBACK 0x80) or grants it and never delivers.
    expect([0x80, 0, 1]).toContain(granted[0]?.qos);
    await Promise.all([a.endAsync(), b.endAsync(), operator.endAsync()]);
  });

  it("still rejects, at the collector, a payload whose device differs from the topic's", async () => {
    const before = collector.stats.rejected['device-mismatch'] ?? 0;
    const a = await connectAs(creds['dev-a']);
    await a.publishAsync(topic('dev-a'), batch('dev-b', 200), { qos: 1 }); // allowed topic, forged payload
    await waitFor('rejected', () => (collector.stats.rejected['device-mismatch'] ?? 0) === before + 1);
    expect(storedKeys()).not.toContain('dev-b/200');
    expect(collector.ingest.deadLetter.recent(1)[0]).toMatchObject({
      reason: 'device-mismatch',
      topic: topic('dev-a'),
    });
    await a.endAsync();
  });
});

describeWith(
  ['mosquitto', 'openssl'],
  'TLS to the broker (CA and server certificate made by openssl in the test)',
  () => {
    it('carries an agent publisher over mqtts:// when it trusts the CA', async () => {
      const spool = new Outbox(join(dir.path, 'tls-agent'), 'dev-a');
      const publisher = new Publisher(spool, {
        brokerUrl: `mqtts://127.0.0.1:${tlsPort}`,
        fleet: 'lab',
        device: 'dev-a',
        describe: {},
        ...creds['dev-a'],
        tls: { ca: readFileSync(join(dir.path, 'ca.crt'), 'utf8') },
        stateDir: join(dir.path, 'tls-agent'),
      });
      for (let i = 0; i < 5; i++) {
        const sealed = spool.seal(spoolRecords(4, i * 4));
        publisher.enqueue(sealed.firstSeq, sealed.count);
      }
      expect(await publisher.drain(10_000)).toBe(true);
      await waitFor(
        'stored over TLS',
        () => storedKeys().filter((k) => /^dev-a\/\d$|^dev-a\/1\d$/.test(k)).length === 20,
      );
      await publisher.close();
    });

    it('refuses a client that does not trust the CA, and plain MQTT on the TLS port', async () => {
      await expect(connectAs(creds['dev-a'], `mqtts://127.0.0.1:${tlsPort}`)).rejects.toThrow(
        /self[- ]signed|certificate/i,
      );
      await expect(
        connectAs(creds['dev-a'], `mqtt://127.0.0.1:${tlsPort}`, { connectTimeout: 2000 }),
      ).rejects.toThrow();
    });
  },
);
