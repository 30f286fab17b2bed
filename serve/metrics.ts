// `GET /metrics` of the inference server in the Prometheus text format (0.0.4): queue depth,
// requests by outcome, batch sizes and latencies as histograms, compute time, and energy counters
// split as the answers split it (attributed to requests, idle share inside batches, idle between
// batches) with the meter's provenance as a label; an estimate says ESTIMATE in its HELP line.

export const REQUEST_OUTCOMES = [
  'ok',
  'bad-input',
  'too-large',
  'unauthorized',
  'queue-full',
  'unavailable',
  'aborted',
  'error',
] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] as const;
export const LATENCY_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** A cumulative Prometheus histogram. */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    this.bounds.forEach((bound, i) => {
      if (value <= bound) this.counts[i] = (this.counts[i] ?? 0) + 1;
    });
  }

  lines(name: string, labels = ''): string[] {
    const join = (extra: string) => `{${[labels, extra].filter((part) => part !== '').join(',')}}`;
    return [
      ...this.bounds.map((bound, i) => `${name}_bucket${join(`le="${bound}"`)} ${this.counts[i] ?? 0}`),
      `${name}_bucket${join('le="+Inf"')} ${this.count}`,
      `${name}_sum${labels === '' ? '' : `{${labels}}`} ${this.sum}`,
      `${name}_count${labels === '' ? '' : `{${labels}}`} ${this.count}`,
    ];
  }
}

export class ServeMetrics {
  readonly outcomes = new Map<RequestOutcome, number>(REQUEST_OUTCOMES.map((o) => [o, 0]));
  readonly batchSize = new Histogram(BATCH_SIZE_BUCKETS);
  readonly latencyS = new Histogram(LATENCY_BUCKETS_S);
  readonly queueS = new Histogram(LATENCY_BUCKETS_S);

  count(outcome: RequestOutcome): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }
}

export interface MetricsSnapshot {
  metrics: ServeMetrics;
  queueDepth: number;
  queueInputs: number;
  batches: number;
  computeS: number;
  uptimeS: number;
  attributedJ: number;
  idleInBatchesJ: number;
  idleW: number;
  provenance: string;
  info: Record<string, string>;
}

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([key, value]) => `${key}="${escapeLabel(value)}"`)
    .join(',');

function family(name: string, type: string, help: string, lines: string[]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines];
}

export function renderServeMetrics(s: MetricsSnapshot): string {
  const estimate = s.provenance === 'estimated' ? ' ESTIMATE (host power model, no meter readable).' : '';
  const energy = (part: string, value: number) =>
    `edgewatt_serve_energy_joules_total{${labelText({ part, provenance: s.provenance })}} ${value}`;
  const idleBetweenJ = s.idleW * Math.max(0, s.uptimeS - s.computeS);
  return `${[
    ...family('edgewatt_serve_info', 'gauge', 'The server, its model and its energy meter.', [
      `edgewatt_serve_info{${labelText(s.info)}} 1`,
    ]),
    ...family('edgewatt_serve_queue_depth', 'gauge', 'Requests waiting for a batch.', [
      `edgewatt_serve_queue_depth ${s.queueDepth}`,
    ]),
    ...family('edgewatt_serve_queue_inputs', 'gauge', 'Inputs waiting for a batch.', [
      `edgewatt_serve_queue_inputs ${s.queueInputs}`,
    ]),
    ...family(
      'edgewatt_serve_requests_total',
      'counter',
      'Inference requests answered, by outcome.',
      [...s.metrics.outcomes].map(
        ([outcome, n]) => `edgewatt_serve_requests_total{outcome="${outcome}"} ${n}`,
      ),
    ),
    ...family('edgewatt_serve_batches_total', 'counter', 'Batches run (model calls).', [
      `edgewatt_serve_batches_total ${s.batches}`,
    ]),
    ...family(
      'edgewatt_serve_batch_size',
      'histogram',
      'Inputs per batch.',
      s.metrics.batchSize.lines('edgewatt_serve_batch_size'),
    ),
    ...family(
      'edgewatt_serve_request_latency_seconds',
      'histogram',
      'Server-side latency of answered requests, arrival to answer.',
      s.metrics.latencyS.lines('edgewatt_serve_request_latency_seconds'),
    ),
    ...family(
      'edgewatt_serve_queue_wait_seconds',
      'histogram',
      'Time requests waited for their batch.',
      s.metrics.queueS.lines('edgewatt_serve_queue_wait_seconds'),
    ),
    ...family('edgewatt_serve_compute_seconds_total', 'counter', 'Time spent in model calls.', [
      `edgewatt_serve_compute_seconds_total ${s.computeS}`,
    ]),
    ...family(
      'edgewatt_serve_energy_joules_total',
      'counter',
      `Server energy by part: attributed to requests (above idle), idle power inside batches (the requests' idle shares), idle power between batches.${estimate}`,
      [
        energy('requests', s.attributedJ),
        energy('idle_in_batches', s.idleInBatchesJ),
        energy('idle_between_batches', idleBetweenJ),
      ],
    ),
    ...family('edgewatt_serve_idle_watts', 'gauge', `Idle power the meter measured or assumes.${estimate}`, [
      `edgewatt_serve_idle_watts{provenance="${escapeLabel(s.provenance)}"} ${s.idleW}`,
    ]),
  ].join('\n')}\n`;
}
