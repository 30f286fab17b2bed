// `GET /metrics` in the Prometheus text exposition format (version 0.0.4): what the collector
// received, stored, refused by reason, duplicates, its store's buffer, drops and write errors, and
// when each device was last seen. renderMetrics is pure; the route asks the context for a snapshot.

import type { FastifyInstance } from 'fastify';
import type { IngestStats, RejectReason } from '../ingest/ingest.js';
import type { Drainable, StoreBufferStats } from '../store/index.js';

export type { StoreBufferStats } from '../store/index.js';

export interface MetricsSnapshot {
  ingest: IngestStats;
  /** `fleet/device` → µs since the epoch of the last message stored for it. */
  lastSeenUs: ReadonlyMap<string, number>;
  /** Per `fleet/device`: lowest and highest seq stored by this collector, and records stored between. */
  seqSpan?: ReadonlyMap<string, { lowSeq: number; highSeq: number; stored: number }>;
  /** Rows held in the dead-letter table now. */
  deadLetterEntries?: number;
  /** Messages handed to ingest and not acknowledged yet: how many, how many wait for a store retry, the oldest's age. */
  unacked?: { messages: number; retryPending: number; oldestAgeS: number };
  store?: StoreBufferStats;
}

/** Every reason is exported, at 0 when it never happened, so a rate() over it is always defined. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'too-large',
  'empty',
  'unknown-encoding',
  'malformed',
  'invalid',
  'unsupported-version',
  'bad-topic',
  'topic-mismatch',
  'device-mismatch',
  'unexpected-kind',
  'rate-limited',
  'store-failed',
  'store-refused',
  'seq-conflict',
];

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function sample(name: string, value: number, labels: Labels = {}): string {
  const pairs = Object.entries(labels).map(([key, text]) => `${key}="${escapeLabel(text)}"`);
  return `${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${Number.isFinite(value) ? value : 0}`;
}

function family(name: string, type: 'counter' | 'gauge', help: string, samples: string[]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples];
}

export function renderMetrics(snapshot: MetricsSnapshot): string {
  const { ingest } = snapshot;
  const counter = (name: string, help: string, value: number) =>
    family(name, 'counter', help, [sample(name, value)]);
  const lines = [
    ...counter('edgewatt_messages_received_total', 'MQTT messages handed to ingest.', ingest.received),
    ...counter('edgewatt_received_bytes_total', 'Payload bytes handed to ingest.', ingest.receivedBytes),
    ...counter('edgewatt_batches_stored_total', 'Inference batches written to the store.', ingest.batches),
    ...counter('edgewatt_records_stored_total', 'Inference records newly stored.', ingest.records),
    ...counter(
      'edgewatt_offload_records_stored_total',
      'Offload records (inputs sent to an inference server) newly stored.',
      ingest.offloadRecords,
    ),
    ...counter(
      'edgewatt_duplicate_records_total',
      'Redelivered records the store already had (ignored).',
      ingest.duplicates,
    ),
    ...counter('edgewatt_status_messages_total', 'Status messages stored.', ingest.statuses),
    ...counter(
      'edgewatt_stale_status_messages_total',
      'Status messages ignored because a newer birth was seen (late last wills).',
      ingest.staleStatuses,
    ),
    ...counter(
      'edgewatt_seq_regressions_total',
      'Device births numbering at or below a seq already stored (the device lost its counter).',
      ingest.seqRegressions,
    ),
    ...counter(
      'edgewatt_seq_conflicts_total',
      'Records not stored because their seq already names a stored record of the other kind (inference vs offload; SQLite).',
      ingest.seqConflicts,
    ),
    ...family(
      'edgewatt_rejected_messages_total',
      'counter',
      'Messages refused, by reason; each is acknowledged and dead-lettered.',
      REJECT_REASONS.map((reason) =>
        sample('edgewatt_rejected_messages_total', ingest.rejected[reason] ?? 0, { reason }),
      ),
    ),
    ...counter(
      'edgewatt_dead_lettered_total',
      'Messages written to the dead-letter table.',
      ingest.deadLettered,
    ),
    ...counter(
      'edgewatt_store_write_errors_total',
      'Store writes that failed; each is retried in process after a back-off, then dead-lettered (store-failed).',
      ingest.storeErrors,
    ),
    ...counter(
      'edgewatt_store_refused_points_total',
      'Points the store server refused after their message was acknowledged (InfluxDB 400), dead-lettered whole.',
      ingest.refusedByServer,
    ),
    ...counter(
      'edgewatt_store_recoveries_total',
      'Store writes that succeeded on a retry after failing.',
      ingest.storeRecoveries,
    ),
  ];
  if (snapshot.unacked !== undefined) {
    const { unacked } = snapshot;
    lines.push(
      ...family(
        'edgewatt_unacked_messages',
        'gauge',
        'MQTT messages received and not yet acknowledged (being stored or waiting for a store retry).',
        [sample('edgewatt_unacked_messages', unacked.messages)],
      ),
      ...family(
        'edgewatt_store_retry_pending',
        'gauge',
        'Messages waiting for a store retry now; above 0 for long means the store is failing and ingest is stalled.',
        [sample('edgewatt_store_retry_pending', unacked.retryPending)],
      ),
      ...family(
        'edgewatt_oldest_unacked_age_seconds',
        'gauge',
        'Age of the oldest message received and not yet acknowledged, seconds (0 when none).',
        [sample('edgewatt_oldest_unacked_age_seconds', unacked.oldestAgeS)],
      ),
    );
  }
  if (snapshot.deadLetterEntries !== undefined) {
    lines.push(
      ...family('edgewatt_dead_letter_entries', 'gauge', 'Rows in the dead-letter table now.', [
        sample('edgewatt_dead_letter_entries', snapshot.deadLetterEntries),
      ]),
    );
  }
  if (snapshot.store !== undefined) {
    const { store } = snapshot;
    lines.push(
      ...family(
        'edgewatt_store_buffer_entries',
        'gauge',
        'Entries buffered for the store, not yet written.',
        [sample('edgewatt_store_buffer_entries', store.pendingLines)],
      ),
      ...family('edgewatt_store_buffer_bytes', 'gauge', 'Bytes buffered for the store, not yet written.', [
        sample('edgewatt_store_buffer_bytes', store.pendingBytes),
      ]),
      ...counter(
        'edgewatt_store_written_total',
        'Entries the store confirmed written (InfluxDB points, including inference_io points).',
        store.written,
      ),
      ...counter(
        'edgewatt_store_dropped_total',
        'Entries the store refused as bad data (dropped).',
        store.dropped,
      ),
      ...counter('edgewatt_store_retries_total', 'Failed store writes that were retried.', store.retries),
    );
  }
  const labelsOf = (key: string) => {
    const slash = key.indexOf('/');
    return { fleet: key.slice(0, slash), device: key.slice(slash + 1) };
  };
  if (snapshot.seqSpan !== undefined) {
    lines.push(
      ...family(
        'edgewatt_device_missing_records',
        'gauge',
        "Sequence numbers between the lowest and highest stored for the device that this collector has not stored: dropped by the agent's full spool, or not arrived yet.",
        [...snapshot.seqSpan]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, span]) =>
            sample(
              'edgewatt_device_missing_records',
              span.highSeq - span.lowSeq + 1 - span.stored,
              labelsOf(key),
            ),
          ),
      ),
    );
  }
  const seen = [...snapshot.lastSeenUs].sort(([a], [b]) => a.localeCompare(b));
  lines.push(
    ...family(
      'edgewatt_device_last_seen_seconds',
      'gauge',
      'When a message of the device was last stored, seconds since the Unix epoch.',
      seen.map(([key, atUs]) => sample('edgewatt_device_last_seen_seconds', atUs / 1e6, labelsOf(key))),
    ),
  );
  return `${lines.join('\n')}\n`;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Route group for collector/api/server.ts: GET /metrics when the context has a metrics source. */
export function metricsRoutes(
  app: FastifyInstance,
  context: { metrics?: (() => MetricsSnapshot) | undefined },
): void {
  const source = context.metrics;
  if (source === undefined) return;
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', PROMETHEUS_CONTENT_TYPE);
    return renderMetrics(source());
  });
}

/** The metrics source of a running collector: its ingest, and its store's buffer when it has one. */
export function collectorMetricsSource(
  ingest: {
    stats: IngestStats;
    lastSeenUs: ReadonlyMap<string, number>;
    seqSpan: MetricsSnapshot['seqSpan'];
    deadLetter: { size(): number };
    unacked?: { count: number; retryPending: number; oldestAgeMs(): number };
  },
  /** The store when it declares `drain` (it buffers); undefined for one that does not (SQLite). */
  buffered: Pick<Drainable, 'bufferStats'> | undefined,
): () => MetricsSnapshot {
  return () => {
    const buffer = buffered?.bufferStats;
    return {
      ingest: ingest.stats,
      lastSeenUs: ingest.lastSeenUs,
      seqSpan: ingest.seqSpan,
      deadLetterEntries: ingest.deadLetter.size(),
      ...(ingest.unacked === undefined
        ? {}
        : {
            unacked: {
              messages: ingest.unacked.count,
              retryPending: ingest.unacked.retryPending,
              oldestAgeS: ingest.unacked.oldestAgeMs() / 1000,
            },
          }),
      ...(buffer === undefined ? {} : { store: buffer }),
    };
  };
}
