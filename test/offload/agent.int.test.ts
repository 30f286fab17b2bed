// The agent offloading in-process, against a stub of `edgewatt serve` speaking the contract's JSON
// and an embedded broker: answers carry placement and the offload figures, offload and inference
// records share one seq space on their topics, the retained cmd/placement command switches the
// agent to auto (and tags its records), and a server that goes away sends auto back to the edge
// (fallback record + edge record) without losing an input or blocking the queue.

import type net from 'node:net';
import { join } from 'node:path';
import Fastify from 'fastify';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentConfig, OffloadFailedError } from '../../agent/agent.js';
import { startApi } from '../../agent/api/server.js';
import { buildTopic, decodeMessage, type InferenceRecord, type OffloadRecord } from '../../protocol/index.js';
import { encodePlacementCommand } from '../../protocol/placement.js';
import { type Stack, startStack, tempDir, waitFor } from '../support/stack.js';
import { zooAgentConfig } from '../support/zoo-agent.js';

const INPUT = { values: new Float32Array(28 * 28).fill(0.25), count: 1 };
const ANSWER = {
  prediction: [0.05, 0.05, 0.8, 0.1],
  classIndex: 2,
  server: { id: 'stub-dc', region: 'FR', pueClass: 'hyperscale' },
  batch: { size: 1, queueS: 0.001, computeS: 0.002 },
  energy: {
    requestJ: 0.04,
    uncertaintyJ: 0.01,
    idleShareJ: 0.02,
    provenance: 'estimated',
    method: 'stub ESTIMATE',
  },
  latencyS: 0.003,
};

const dir = tempDir('edgewatt-offload-agent-');
/** A collector answers each agent's birth with its seq (else sealing waits for that answer). */
let stack: Stack;
let watcher: mqtt.MqttClient;
const records = new Map<string, { kind: string; record: InferenceRecord | OffloadRecord }[]>();
let status = 200;

async function stubServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = Fastify();
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_r, body, done) =>
    done(null, body),
  );
  app.post('/v1/infer', async (request, reply) => {
    if (status !== 200)
      return reply.code(status).header('retry-after', '1').send({ error: 'busy', message: 'queue full' });
    return { ...ANSWER, requestId: request.headers['x-edgewatt-request-id'] ?? null };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`,
    close: () => app.close(),
  };
}

beforeAll(async () => {
  stack = await startStack(join(dir.path, 'store.sqlite'));
  watcher = mqtt.connect(stack.broker.url);
  await new Promise((resolve) => watcher.once('connect', resolve));
  await watcher.subscribeAsync(['edgewatt/v1/lab/+/inference', 'edgewatt/v1/lab/+/offload']);
  watcher.on('message', (topic, payload) => {
    const decoded = decodeMessage(payload);
    if (!decoded.ok) throw decoded.error;
    const message = decoded.value;
    if (message.type !== 'inference' && message.type !== 'offload') return;
    const list = records.get(message.device) ?? [];
    for (const record of message.records) list.push({ kind: message.type, record });
    list.sort((a, b) => a.record.seq - b.record.seq);
    records.set(message.device, list);
    expect(topic.endsWith(`/${message.type}`)).toBe(true);
  });
});
afterAll(async () => {
  await watcher.endAsync();
  await stack.stop();
  dir.remove();
});

function config(device: string, offload: AgentConfig['offload']): AgentConfig {
  return zooAgentConfig({ broker: stack.broker.url, device, stateDir: join(dir.path, device), offload });
}

describe('agent placement', () => {
  it('offload: the answer and the record carry the exchange; seqs run on across both kinds', async () => {
    const server = await stubServer();
    const agent = await Agent.start(
      config('off-1', { mode: 'offload', server: server.url, timeoutMs: 2000, maxRttMs: 1000 }),
    );
    try {
      const answer = await agent.infer(INPUT, { source: 'http' });
      expect(answer.placement).toBe('offload');
      expect(answer.predictedClass).toEqual([2]);
      expect(answer.offload).toMatchObject({
        seq: answer.seq,
        outcome: 'ok',
        httpStatus: 200,
        policy: 'fixed',
        fallback: 'none',
        requestBytes: 3136,
        server: ANSWER.server,
      });
      expect(answer.offload?.socketBytesSent).toBeGreaterThan(3136);
      expect(answer.energy.provenance).toBe('estimated');
      expect(answer.energy.energyJ).toBeGreaterThan(0);
      const second = await agent.infer(INPUT, { source: 'http' });
      expect(second.seq).toBe(answer.seq + 1);
      await waitFor('two offload records', () => (records.get('off-1') ?? []).length === 2);
      const [first] = records.get('off-1') ?? [];
      expect(first?.kind).toBe('offload');
      const record = first?.record as OffloadRecord;
      expect(record).toMatchObject({
        seq: answer.seq,
        outcome: 'ok',
        policy: 'fixed',
        fallback: 'none',
        inputSource: 'http',
        requestBytes: 3136,
        serverId: 'stub-dc',
        serverRegion: 'FR',
        serverPueClass: 'hyperscale',
        serverEnergyJ: 0.04,
        serverEnergyProvenance: 'estimated',
        serverBatchSize: 1,
        prediction: 2,
        energyProvenance: 'estimated',
        sensor: 'simulated:rpi4',
      });
      expect(record.roundTripS).toBeCloseTo(answer.latencyMs / 1000, 5);
      expect(record.deviceEnergyJ).toBeCloseTo(answer.energy.energyJ, 8);
      expect(record.socketBytesSent).toBe(answer.offload?.socketBytesSent);
      // Feedback joins an offloaded answer too (its seq is in the one seq space).
      expect(agent.feedback(answer.seq, 2).correct).toBe(true);
    } finally {
      await agent.stop(5_000);
      await server.close();
    }
  });

  it('offload without fallback: a 503 is a refused record, OffloadFailedError, a 502 from the local API; the queue goes on', async () => {
    const server = await stubServer();
    status = 503;
    const agent = await Agent.start(
      config('off-2', { mode: 'offload', server: server.url, timeoutMs: 2000, maxRttMs: 1000 }),
    );
    try {
      const failed = await agent.infer(INPUT).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(OffloadFailedError);
      expect((failed as OffloadFailedError).figures).toMatchObject({
        outcome: 'refused',
        httpStatus: 503,
        fallback: 'none',
      });
      // Through the local API: 502 with the offload record's figures; then 200 once the server is back.
      const api = await startApi(agent, { listen: { kind: 'tcp', host: '127.0.0.1', port: 0 } });
      try {
        const post = () =>
          fetch(`${api.address}/v1/infer`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ input: Array(28).fill(Array(28).fill([0.5])) }),
          });
        const refusedAnswer = await post();
        expect(refusedAnswer.status).toBe(502);
        expect(await refusedAnswer.json()).toMatchObject({
          error: 'offload-failed',
          offload: { outcome: 'refused', httpStatus: 503 },
        });
        status = 200;
        const okAnswer = await post();
        expect(okAnswer.status).toBe(200);
        expect(await okAnswer.json()).toMatchObject({
          placement: 'offload',
          predictedClass: [2],
          offload: { outcome: 'ok', server: { id: 'stub-dc' } },
        });
      } finally {
        await api.close();
      }
      await waitFor('three records', () => (records.get('off-2') ?? []).length === 3);
      const [refused, refusedHttp, ok] = (records.get('off-2') ?? []).map((r) => r.record as OffloadRecord);
      expect(refused).toMatchObject({ outcome: 'refused', httpStatus: 503, fallback: 'none' });
      expect(refused?.serverId).toBeUndefined();
      expect(refused?.prediction).toBeUndefined();
      expect(refusedHttp).toMatchObject({ outcome: 'refused', inputSource: 'http' });
      expect(ok).toMatchObject({ outcome: 'ok', inputSource: 'http' });
    } finally {
      status = 200;
      await agent.stop(5_000);
      await server.close();
    }
  });

  it('cmd/placement switches an edge agent to auto with tags; a server that goes away sends it back to the edge', async () => {
    const server = await stubServer();
    const agent = await Agent.start(config('off-3', undefined));
    try {
      // No command yet: an edge record exactly as before placement existed.
      const plain = await agent.infer(INPUT);
      expect(plain.placement).toBeUndefined();
      const topic = buildTopic({ fleet: 'lab', device: 'off-3', kind: 'cmd', command: 'placement' });
      await watcher.publishAsync(
        topic,
        encodePlacementCommand({
          v: 1,
          placement: 'auto',
          server: server.url,
          experiment: 'exp-1',
          arm: 'offload',
          basis: { comparedAt: '2026-11-28T15:00:00Z', edgeG: 2e-5, offloadG: 1e-5 },
        }),
        { retain: true, qos: 1 },
      );
      let answer = await agent.infer(INPUT);
      const deadline = Date.now() + 30_000;
      while (answer.placement !== 'offload' && Date.now() < deadline) answer = await agent.infer(INPUT);
      expect(answer.offload?.policy).toBe('auto-comparison');
      await server.close(); // the server goes away
      const fallback = await agent.infer(INPUT);
      expect(fallback.placement).toBe('edge');
      // The kept-alive socket may be seen closed only by this request (reset), or before it.
      expect(['unreachable', 'connection-reset']).toContain(fallback.offload?.outcome);
      expect(fallback.offload?.fallback).toBe('edge');
      expect(fallback.seq).toBe((fallback.offload?.seq ?? 0) + 1);
      // Within the back-off: straight to the edge, no new offload attempt.
      const edge = await agent.infer(INPUT);
      expect(edge.placement).toBe('edge');
      expect(edge.offload).toBeUndefined();
      await waitFor('the fallback and edge records', () =>
        (records.get('off-3') ?? []).some((r) => r.record.seq === edge.seq),
      );
      const bySeq = new Map((records.get('off-3') ?? []).map((r) => [r.record.seq, r]));
      expect(bySeq.get(plain.seq)?.record).not.toHaveProperty('placement');
      expect(bySeq.get(answer.seq)).toMatchObject({
        kind: 'offload',
        record: { experiment: 'exp-1', arm: 'offload' },
      });
      expect(bySeq.get(fallback.offload?.seq ?? -1)).toMatchObject({
        kind: 'offload',
        record: {
          outcome: fallback.offload?.outcome,
          fallback: 'edge',
          policy: 'auto-comparison',
          experiment: 'exp-1',
        },
      });
      for (const seq of [fallback.seq, edge.seq])
        expect(bySeq.get(seq)).toMatchObject({
          kind: 'inference',
          record: { placement: 'edge', experiment: 'exp-1', arm: 'offload' },
        });
      await watcher.publishAsync(topic, '', { retain: true, qos: 1 });
    } finally {
      await agent.stop(5_000);
    }
  });

  it("the loop's inputs are offloaded one per turn, each with its record", async () => {
    const server = await stubServer();
    const agent = await Agent.start({
      ...config('off-4', { mode: 'offload', server: server.url, timeoutMs: 2000, maxRttMs: 1000 }),
      inputs: undefined,
      count: 5,
    });
    try {
      await agent.finished();
      await waitFor('five offload records', () => (records.get('off-4') ?? []).length === 5);
      const list = records.get('off-4') ?? [];
      expect(
        list.map((r) => [
          r.kind,
          (r.record as OffloadRecord).inputSource,
          (r.record as OffloadRecord).outcome,
        ]),
      ).toEqual(Array(5).fill(['offload', 'random', 'ok']));
      expect(list.map((r) => r.record.seq)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await agent.stop(5_000);
      await server.close();
    }
  });
});
