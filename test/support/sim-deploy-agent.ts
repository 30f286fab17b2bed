// A lightweight SIMULATED device for rollout tests and the rollout bench: it speaks the real
// protocol over a real broker (retained birth status, signed assignment on cmd/model verified with
// the deployment key, artifacts downloaded from the collector's registry with its broker login and
// checked against the manifest's hashes, each step reported on `deployment`, inference records
// published at QoS 1) but runs no model: "switching" is changing the model id it puts on records,
// whose energy per inference is a stated factor per model. It is labelled simulated wherever a
// figure comes from it; the real agent's state machine is agent/ (deploy-agent).

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import {
  type Assignment,
  artifactUrl,
  type DeploymentReason,
  type DeploymentState,
  verifyAssignment,
} from '../../protocol/deploy/index.js';
import {
  buildTopic,
  type DeploymentMessage,
  encodeMessage,
  type InferenceRecord,
  PROTOCOL_VERSION,
  type StatusMessage,
} from '../../protocol/index.js';
import { keyIdOf } from '../../protocol/manifest/index.js';

export interface SimAgentOptions {
  broker: string;
  fleet: string;
  device: string;
  username?: string;
  password?: string;
  /** The deployment public key (assignments signed by anything else are refused). */
  deploymentKey: KeyObject;
  /** Model the device runs at start. */
  modelId: string;
  /** Energy per inference (J) of each model; others: 0.01. */
  energyJ?: Record<string, number>;
  /** First inference seq (a restarted device carries on from its last). */
  firstSeq?: number;
  /** Inferences per second published (0 = none). */
  rate?: number;
  /** Records per published batch. */
  batch?: number;
}

export class SimDeployAgent {
  private client: MqttClient | undefined;
  modelId: string;
  private previousModelId: string | null = null;
  private inferenceSeq = 0;
  private deploySeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private probationTimer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  /** Every inference seq published (acknowledged by the broker). */
  readonly published = new Set<number>();
  /** Every deployment state reported, in order. */
  readonly states: { deploymentId: string; state: DeploymentState; reason?: string }[] = [];
  downloadedBytes = 0;

  constructor(private readonly options: SimAgentOptions) {
    this.modelId = options.modelId;
    this.inferenceSeq = options.firstSeq ?? 0;
  }

  /** The next inference seq (for a restart). */
  get nextSeq(): number {
    return this.inferenceSeq;
  }

  private topic(kind: 'inference' | 'status' | 'deployment'): string {
    return buildTopic({ fleet: this.options.fleet, device: this.options.device, kind });
  }

  async start(): Promise<void> {
    const o = this.options;
    const client = mqtt.connect(o.broker, {
      clientId: `sim-${o.fleet}-${o.device}`,
      clean: true,
      reconnectPeriod: 500,
      username: o.username,
      password: o.password,
      will: {
        topic: this.topic('status'),
        payload: Buffer.from(encodeMessage(this.status('offline'))),
        qos: 1,
        retain: true,
      },
    });
    this.client = client;
    client.on('message', (topic, payload) => {
      if (!topic.endsWith('/cmd/model') || payload.length === 0) return;
      this.busy = this.busy.then(() => this.deploy(payload)).catch(() => {});
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.publishAsync(this.topic('status'), Buffer.from(encodeMessage(this.status('online'))), {
      qos: 1,
      retain: true,
    });
    await client.subscribeAsync(
      buildTopic({ fleet: o.fleet, device: o.device, kind: 'cmd', command: 'model' }),
      { qos: 1 },
    );
    const rate = o.rate ?? 0;
    if (rate > 0) {
      const batch = o.batch ?? 10;
      this.timer = setInterval(() => void this.infer(batch), (1000 * batch) / rate);
    }
  }

  private status(state: 'online' | 'offline'): StatusMessage {
    return {
      v: PROTOCOL_VERSION,
      type: 'status',
      device: this.options.device,
      state,
      seq: this.inferenceSeq,
      atUs: Date.now() * 1000,
      modelId: this.modelId,
      variant: 'sim',
      board: 'rpi4',
    };
  }

  private async infer(count: number): Promise<void> {
    const nowUs = Date.now() * 1000;
    const energy = this.options.energyJ?.[this.modelId] ?? 0.01;
    const records: InferenceRecord[] = [];
    for (let i = 0; i < count; i++) {
      const wobble = 1 + 0.05 * Math.sin(this.inferenceSeq * 1.3);
      records.push({
        seq: this.inferenceSeq++,
        startUs: nowUs - (count - i) * 1000,
        durationUs: Math.round(8000 * wobble),
        energyJ: energy * wobble,
        energyUncertaintyJ: energy * 0.02,
        baselineW: 2.5,
        sampleCount: 8,
        provenance: 'estimated',
        sensor: 'simulated:rpi4',
        modelId: this.modelId,
        variant: 'sim',
        backend: 'wasm',
        batchSize: 1,
        inputBytes: 784,
        outputBytes: 40,
        correct: null,
      });
    }
    const client = this.client;
    if (client === undefined) return;
    const payload = encodeMessage({
      v: PROTOCOL_VERSION,
      type: 'inference',
      device: this.options.device,
      records,
    });
    try {
      await client.publishAsync(this.topic('inference'), Buffer.from(payload), { qos: 1 });
      for (const r of records) this.published.add(r.seq);
    } catch {
      // offline: the records are lost to this simulation (counted as not published)
    }
  }

  private async report(
    a: Assignment,
    state: DeploymentState,
    extra: { reason?: string; bytes?: number } = {},
  ): Promise<void> {
    this.states.push({
      deploymentId: a.deploymentId,
      state,
      ...(extra.reason === undefined ? {} : { reason: extra.reason }),
    });
    const message: DeploymentMessage = {
      v: PROTOCOL_VERSION,
      type: 'deployment',
      device: this.options.device,
      seq: this.deploySeq++,
      atUs: Date.now() * 1000,
      deploymentId: a.deploymentId,
      modelId: a.modelId,
      release: a.release,
      state,
      attempt: 1,
      ...(extra.reason === undefined ? {} : { reason: extra.reason as DeploymentReason }),
      ...(extra.bytes === undefined ? {} : { bytes: extra.bytes }),
      ...(this.previousModelId === null ? {} : { previousModelId: this.previousModelId }),
    };
    await this.client?.publishAsync(this.topic('deployment'), Buffer.from(encodeMessage(message)), {
      qos: 1,
    });
  }

  private async deploy(payload: Buffer): Promise<void> {
    const key = this.options.deploymentKey;
    const a = verifyAssignment(payload, [{ keyId: keyIdOf(key), key, source: 'sim' }], {
      fleet: this.options.fleet,
      device: this.options.device,
      nowMs: Date.now(),
    });
    // Already running it (a retained assignment seen again, or a new deployment of the same
    // model): a terminal report for this deployment id, or the rollout would wait for a timeout.
    if (a.modelId === this.modelId && !a.rollback) {
      await this.report(a, 'committed');
      return;
    }
    clearTimeout(this.probationTimer);
    await this.report(a, 'downloading');
    let bytes = 0;
    try {
      const manifest = JSON.parse((await this.download(a, 'manifest.json')).toString('utf8')) as {
        id: string;
        files: { path: string; sha256: string }[];
      };
      bytes += (await this.download(a, 'manifest.sig')).length;
      if (manifest.id !== a.modelId) throw new Error('manifest id differs from the assignment');
      for (const file of manifest.files) {
        const data = await this.download(a, file.path);
        bytes += data.length;
        if (createHash('sha256').update(data).digest('hex') !== file.sha256)
          throw new Error(`${file.path}: hash mismatch`);
      }
    } catch (error) {
      await this.report(a, 'failed', { reason: 'download-failed' });
      throw error;
    }
    this.downloadedBytes += bytes;
    await this.report(a, 'verifying', { bytes });
    await this.report(a, 'loading');
    await this.report(a, 'switching');
    this.previousModelId = this.modelId;
    this.modelId = a.modelId;
    await this.report(a, 'probation');
    await new Promise<void>((resolve) => {
      this.probationTimer = setTimeout(resolve, a.probationS * 1000);
    });
    await this.report(a, 'committed');
    // As the agent does: the retained status names the model it now runs.
    await this.client?.publishAsync(this.topic('status'), Buffer.from(encodeMessage(this.status('online'))), {
      qos: 1,
      retain: true,
    });
  }

  private download(a: Assignment, path: string): Promise<Buffer> {
    const url = artifactUrl(a.baseUrl, a.modelId, path);
    const auth = Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64');
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers: { authorization: `Basic ${auth}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`${url}: HTTP ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Goes offline (no last will: a clean disconnect) or comes back. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.probationTimer);
    await this.client?.endAsync();
    this.client = undefined;
  }
}

export const publicKeyOf = (privateKey: KeyObject) => createPublicKey(privateKey);
