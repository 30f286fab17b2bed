// `edgewatt serve` put together: listen at once (503 while the model loads), load and verify the
// model on its own worker thread (compute-thread.ts: a batch never blocks this, the HTTP thread),
// open the energy meter, run requests through the dynamic batcher, and stop cleanly — new
// requests get 503, every request already queued or running is answered, then the socket closes.

import { logger } from '../common/logger.js';
import type { ModelTrust } from '../protocol/manifest/index.js';
import type { ServeAnswer } from '../protocol/serve-answer.js';
import type { BackendName } from '../runtime/backend.js';
import { DynamicBatcher } from './batcher.js';
import { ModelThread } from './compute-thread.js';
import { DeviceCredentials } from './credentials.js';
import { type EnergyChoice, type EnergyMeter, openEnergyMeter } from './energy/index.js';
import { BatchEngine, type InferItem, type ItemResult } from './engine.js';
import { buildServeApp, type ServeState } from './http.js';
import { renderServeMetrics, ServeMetrics } from './metrics.js';

const log = logger('serve');

export interface ServeOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  modelPath: string;
  trust: ModelTrust;
  backend?: BackendName | undefined;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueue: number;
  maxBodyBytes: number;
  /** Credentials file; null only with --insecure-no-auth on loopback (checked by the caller). */
  credentialsPath: string | null;
  identity: ServeAnswer['server'];
  energy: EnergyChoice;
  hostBusyW?: number | undefined;
  hostIdleW?: number | undefined;
  /** Opens the meter (tests inject one). */
  openMeter?: () => Promise<EnergyMeter>;
}

export interface RunningServe {
  /** http(s)://host:port */
  url: string;
  /** Resolves when the model is loaded and requests are served; rejects when loading failed. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const startedMs = performance.now();
  const credentials =
    options.credentialsPath === null ? null : new DeviceCredentials(options.credentialsPath);
  const metrics = new ServeMetrics();
  let state: ServeState = 'loading';
  let thread: ModelThread | null = null;
  let meter: EnergyMeter | null = null;
  let engine: BatchEngine | null = null;
  let batcher: DynamicBatcher<InferItem, ItemResult> | null = null;

  const uptimeS = () => (performance.now() - startedMs) / 1000;
  const modelInfo = () => thread?.info ?? null;
  const status = () => {
    const model = modelInfo();
    return {
      state,
      server: options.identity,
      model:
        model === null
          ? null
          : {
              id: model.id,
              variant: model.variant,
              format: model.format,
              backend: model.backend,
              inputShape: model.inputShape,
              outputSize: model.outputSize,
              signedBy: model.signedBy,
            },
      batching: {
        maxBatchSize: options.maxBatchSize,
        maxQueueDelayMs: options.maxQueueDelayMs,
        maxQueue: options.maxQueue,
        queueDepth: batcher?.depth ?? 0,
        ...(batcher?.stats ?? {}),
      },
      energy:
        meter === null
          ? null
          : {
              provenance: meter.provenance,
              method: meter.method,
              idleW: meter.idleW(),
              attributedJ: engine?.totals.attributedJ ?? 0,
              idleInBatchesJ: engine?.totals.idleInBatchesJ ?? 0,
              computeS: engine?.totals.computeS ?? 0,
            },
      auth: credentials === null ? 'none (--insecure-no-auth)' : `credentials file ${credentials.path}`,
      uptimeS: uptimeS(),
    };
  };

  const app = buildServeApp(
    {
      state: () => state,
      model: modelInfo,
      batcher: () => batcher,
      credentials,
      identity: options.identity,
      provenance: () => (meter === null ? null : { provenance: meter.provenance, method: meter.method }),
      metrics,
      status,
      renderMetrics: () =>
        renderServeMetrics({
          metrics,
          queueDepth: batcher?.depth ?? 0,
          queueInputs: batcher?.depthInputs ?? 0,
          batches: batcher?.stats.batches ?? 0,
          computeS: engine?.totals.computeS ?? 0,
          uptimeS: uptimeS(),
          attributedJ: engine?.totals.attributedJ ?? 0,
          idleInBatchesJ: engine?.totals.idleInBatchesJ ?? 0,
          idleW: meter?.idleW() ?? 0,
          provenance: meter?.provenance ?? 'none',
          info: {
            server: options.identity.id,
            region: options.identity.region,
            pue_class: options.identity.pueClass,
            model: thread?.info.id ?? '',
            variant: thread?.info.variant ?? '',
            backend: thread?.info.backend ?? '',
            provenance: meter?.provenance ?? '',
          },
        }),
    },
    { maxBodyBytes: options.maxBodyBytes, ...(options.tls === undefined ? {} : { https: options.tls }) },
  );
  await app.listen({ host: options.host, port: options.port });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${options.tls === undefined ? 'http' : 'https'}://${host}:${port}`;
  log.info(
    { url, auth: credentials === null ? 'none' : credentials.path },
    'inference server listening (loading the model)',
  );

  const ready = (async () => {
    // Verified, loaded and warmed up (one call at batch 1, one at the max batch size) on its thread.
    const started = await ModelThread.start({
      modelPath: options.modelPath,
      trust: options.trust,
      backend: options.backend,
      warmUpCounts: [1, options.maxBatchSize],
    });
    thread = started;
    const model = started.info;
    meter = await (options.openMeter?.() ??
      openEnergyMeter({
        energy: options.energy,
        hostBusyW: options.hostBusyW,
        hostIdleW: options.hostIdleW,
      }));
    engine = new BatchEngine(started, meter);
    engine.onBatch = (_window, inputs) => metrics.batchSize.observe(inputs);
    batcher = new DynamicBatcher<InferItem, ItemResult>(
      {
        maxBatchSize: options.maxBatchSize,
        maxQueueDelayMs: options.maxQueueDelayMs,
        maxQueue: options.maxQueue,
      },
      engine.run,
    );
    if (state === 'loading') state = 'ready';
    log.info(
      {
        model: model.id,
        variant: model.variant,
        format: model.format,
        backend: model.backend,
        energy: meter.provenance,
        maxBatchSize: options.maxBatchSize,
        maxQueueDelayMs: options.maxQueueDelayMs,
      },
      'inference server ready',
    );
  })();
  // Observed here so a failed load is not an unhandled rejection before the caller awaits it.
  ready.catch(() => undefined);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      state = 'stopping';
      await ready.catch(() => undefined);
      await batcher?.close();
      await app.close();
      await meter?.close();
      await thread?.dispose();
      log.info({ ...(batcher?.stats ?? {}) }, 'inference server stopped');
    })();
    return closing;
  };
  return { url, ready, close };
}
