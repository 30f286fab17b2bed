// `edgewatt serve` put together: listen at once (503 while the model loads), load and verify the
// model, open the energy meter, run requests through the dynamic batcher, and stop cleanly — new
// requests get 503, every request already queued or running is answered, then the socket closes.

import { logger } from '../common/logger.js';
import type { ModelTrust } from '../protocol/manifest/index.js';
import type { ServeAnswer } from '../protocol/serve-answer.js';
import type { BackendName } from '../runtime/backend.js';
import { DynamicBatcher } from './batcher.js';
import { DeviceCredentials } from './credentials.js';
import { type EnergyChoice, type EnergyMeter, openEnergyMeter } from './energy/index.js';
import { BatchEngine, type InferItem, type ItemResult } from './engine.js';
import { buildServeApp, type ServeState } from './http.js';
import { renderServeMetrics, ServeMetrics } from './metrics.js';
import { loadServedModel, type ServedModel } from './model.js';

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

/**
 * One call at batch size 1 and one at the max batch size before the first request: graph
 * compilation and kernel caches would otherwise land in the first batches' windows.
 */
async function warmUp(model: ServedModel, maxBatchSize: number): Promise<void> {
  const perInput = model.inputShape.reduce((a, b) => a * b, 1);
  for (const count of new Set([1, maxBatchSize])) await model.run(new Float32Array(perInput * count), count);
}

export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const startedMs = performance.now();
  const credentials =
    options.credentialsPath === null ? null : new DeviceCredentials(options.credentialsPath);
  const metrics = new ServeMetrics();
  let state: ServeState = 'loading';
  let model: ServedModel | null = null;
  let meter: EnergyMeter | null = null;
  let engine: BatchEngine | null = null;
  let batcher: DynamicBatcher<InferItem, ItemResult> | null = null;

  const uptimeS = () => (performance.now() - startedMs) / 1000;
  const status = () => ({
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
  });

  const app = buildServeApp(
    {
      state: () => state,
      model: () => model,
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
            model: model?.id ?? '',
            variant: model?.variant ?? '',
            backend: model?.backend ?? '',
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
    model = await loadServedModel(options.modelPath, { trust: options.trust, backend: options.backend });
    await warmUp(model, options.maxBatchSize);
    meter = await (options.openMeter?.() ??
      openEnergyMeter({
        energy: options.energy,
        hostBusyW: options.hostBusyW,
        hostIdleW: options.hostIdleW,
      }));
    engine = new BatchEngine(model, meter);
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
      await model?.dispose();
      log.info({ ...(batcher?.stats ?? {}) }, 'inference server stopped');
    })();
    return closing;
  };
  return { url, ready, close };
}
