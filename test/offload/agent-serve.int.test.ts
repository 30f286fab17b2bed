// End to end with real processes: `edgewatt agent --placement offload` (bin/edgewatt.js) sends its
// inputs over TLS to a real `edgewatt serve` process, and its offload records go through a real
// Mosquitto into a SQLite collector with the measured fields (round trip, device energy, app and
// socket bytes with the TLS handshake in the first request, the server's identity and energy).
// Then the failures, with real processes: an agent that trusts another CA records tls-error, and
// after the server process is killed an agent records unreachable and falls back to the edge —
// every input has its record, and each agent finishes its count and exits 0.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StoredOffloadRecord } from '../../collector/store/store.js';
import { makeTestCertificates, type TestCertificates } from '../support/certificates.js';
import { type MosquittoStack, startMosquittoStack } from '../support/mosquitto-stack.js';
import { freePort, waitForPort } from '../support/ports.js';
import { type Running, runCli } from '../support/process.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const TOKEN = 'offload-token-0123456789';
const dir = tempDir('edgewatt-agent-serve-');

describeWith(['mosquitto', 'openssl'], 'agent offloading to edgewatt serve (real processes)', () => {
  let stack: MosquittoStack;
  let serve: Running;
  let serverUrl: string;
  let certs: TestCertificates;

  beforeAll(async () => {
    certs = makeTestCertificates(dir.path, { withOtherCa: true });
    const credentials = join(dir.path, 'credentials');
    const line = (device: string) => `${device} ${createHash('sha256').update(TOKEN).digest('hex')}`;
    writeFileSync(credentials, `${['pi-ok', 'pi-ca', 'pi-down'].map(line).join('\n')}\n`);
    const port = await freePort();
    serverUrl = `https://127.0.0.1:${port}`;
    [stack] = await Promise.all([
      startMosquittoStack(dir.path),
      (async () => {
        serve = runCli([
          'serve',
          ...['--model', ZOO_MODEL, '--listen', `127.0.0.1:${port}`, '--credentials', credentials],
          ...['--tls-cert', certs.cert, '--tls-key', certs.key, '--energy', 'estimated'],
          ...['--server-id', 'dc-int', '--grid-region', 'FR', '--pue-class', 'hyperscale'],
        ]);
        await waitForPort(port, 'edgewatt serve', 30_000, serve.child);
      })(),
    ]);
  }, 60_000);

  afterAll(async () => {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await stack.stop();
    dir.remove();
  });

  const agent = (device: string, count: number, extra: readonly string[]) =>
    runCli([
      'agent',
      ...['--broker', stack.mosquitto.url, '--fleet', 'lab', '--device', device],
      ...['--sensor', 'simulated:rpi4', '--backend', 'wasm', '--model', ZOO_MODEL],
      ...['--rate', '0', '--count', String(count), '--warmup', '0', '--flush-ms', '50'],
      ...['--state-dir', join(dir.path, device), '--offload-token', TOKEN],
      ...extra,
    ]);

  async function finished(run: Running, what: string): Promise<void> {
    const { code } = await run.exited;
    if (code !== 0) throw new Error(`${what} exited ${code}:\n${run.stderr()}`);
  }

  async function offloadRecords(device: string, count: number): Promise<StoredOffloadRecord[]> {
    const deadline = Date.now() + 15_000;
    while ((await stack.sqlite.countOffload({ device })) < count) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${count} offload records of ${device}`);
      await sleep(20);
    }
    const records: StoredOffloadRecord[] = [];
    for await (const record of stack.sqlite.readOffload({ device })) records.push(record);
    return records.sort((a, b) => a.seq - b.seq);
  }

  it('offloads every input over TLS; records carry the measured fields; a wrong CA is a tls-error', async () => {
    const ok = agent('pi-ok', 5, [
      '--placement',
      'offload',
      '--offload-server',
      serverUrl,
      '--offload-ca',
      certs.ca,
    ]);
    const wrongCa = agent('pi-ca', 2, [
      ...['--placement', 'offload', '--offload-server', serverUrl],
      ...['--offload-ca', certs.otherCa ?? ''],
    ]);
    await Promise.all([finished(ok, 'the offloading agent'), finished(wrongCa, 'the agent with another CA')]);

    const records = await offloadRecords('pi-ok', 5);
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    for (const r of records) {
      expect(r).toMatchObject({
        outcome: 'ok',
        httpStatus: 200,
        policy: 'fixed',
        fallback: 'none',
        inputSource: 'random',
        serverId: 'dc-int',
        serverRegion: 'FR',
        serverPueClass: 'hyperscale',
        serverEnergyProvenance: 'estimated',
        energyProvenance: 'estimated',
        sensor: 'simulated:rpi4',
        requestBytes: 28 * 28 * 4,
      });
      expect(r.roundTripS).toBeGreaterThan(0);
      expect(r.deviceEnergyJ).toBeGreaterThan(0);
      expect(r.serverEnergyJ).toBeGreaterThan(0);
      expect(r.serverBatchSize).toBeGreaterThanOrEqual(1);
      expect(r.prediction).toBeGreaterThanOrEqual(0);
      expect(r.responseBytes).toBeGreaterThan(100);
      // TLS records and HTTP headers on top of the bodies.
      expect(r.socketBytesSent).toBeGreaterThan(r.requestBytes + 100);
      expect(r.socketBytesReceived).toBeGreaterThan(r.responseBytes + 50);
    }
    // The handshake (the server's certificate chain) rides in the first request only: one connection, kept alive.
    const [first, ...rest] = records;
    for (const r of rest)
      expect((first?.socketBytesReceived ?? 0) - r.socketBytesReceived).toBeGreaterThan(800);

    const refused = await offloadRecords('pi-ca', 2);
    for (const r of refused) {
      expect(r).toMatchObject({ outcome: 'tls-error', fallback: 'none' });
      expect(r.serverId).toBeUndefined();
      expect(r.httpStatus).toBeUndefined();
    }
  });

  it('after the server process is killed: unreachable, the input runs on the edge too, nothing lost', async () => {
    serve.child.kill('SIGKILL');
    await serve.exited;
    const down = agent('pi-down', 3, [
      ...['--placement', 'offload', '--offload-server', serverUrl, '--offload-ca', certs.ca],
      ...['--offload-fallback', 'edge', '--offload-timeout-ms', '2000'],
    ]);
    await finished(down, 'the agent facing a dead server');
    const records = await offloadRecords('pi-down', 3);
    expect(records.map((r) => [r.outcome, r.fallback])).toEqual(Array(3).fill(['unreachable', 'edge']));
    await waitFor('3 edge records', () => stack.sqlite.count({ device: 'pi-down' }) === 3);
    const edge = [...stack.sqlite.records({ device: 'pi-down' })];
    expect(edge.every((r) => r.placement === 'edge')).toBe(true);
    // One seq space: each offload record is followed by its fallback's inference record.
    expect([...records.map((r) => r.seq), ...edge.map((r) => r.seq)].sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(records.map((r) => r.seq)).toEqual([0, 2, 4]);
  });
});
