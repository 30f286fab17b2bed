// Which records a read returns: the same filter for every store, so `export`, `compare` and the
// API narrow a fleet's data the same way whether it sits in SQLite or InfluxDB. Each store turns
// it into its own query (sqlite-read.ts, influx-read.ts); recordMatches() is the reference meaning.

export interface RecordFilter {
  fleet?: string | undefined;
  device?: string | undefined;
  /** Model: its id (artifact hash), a prefix of 8+ characters of it, or its variant name. */
  model?: string | undefined;
  /** Records that start at or after this time, µs since the Unix epoch. */
  fromUs?: number | undefined;
  /** Records that start before this time (exclusive), µs since the Unix epoch. */
  toUs?: number | undefined;
  experiment?: string | undefined;
  arm?: string | undefined;
}

/** Shortest model-id prefix taken as an id rather than a variant name. */
export const MODEL_PREFIX_MIN = 8;

/** `variant` is undefined for an offload record that does not state it: it then matches by id only. */
export function modelMatches(modelId: string, variant: string | undefined, wanted: string): boolean {
  return (
    modelId === wanted ||
    (wanted.length >= MODEL_PREFIX_MIN && modelId.startsWith(wanted)) ||
    (variant !== undefined && variant === wanted)
  );
}

/** The reference meaning of a filter, record by record (stores push it into their queries). */
export function recordMatches(
  r: {
    fleet: string;
    device: string;
    modelId: string;
    variant?: string | undefined;
    startUs: number;
    experiment?: string | undefined;
    arm?: string | undefined;
  },
  f: RecordFilter,
): boolean {
  return (
    (f.fleet === undefined || r.fleet === f.fleet) &&
    (f.device === undefined || r.device === f.device) &&
    (f.model === undefined || modelMatches(r.modelId, r.variant, f.model)) &&
    (f.fromUs === undefined || r.startUs >= f.fromUs) &&
    (f.toUs === undefined || r.startUs < f.toUs) &&
    (f.experiment === undefined || r.experiment === f.experiment) &&
    (f.arm === undefined || r.arm === f.arm)
  );
}

/** `device "pi4-a", model "dense", from 2026-11-28T09:00:00.000Z` (for messages); '' when empty. */
export function describeFilter(f: RecordFilter): string {
  const parts: string[] = [];
  for (const key of ['fleet', 'device', 'model', 'experiment', 'arm'] as const) {
    const value = f[key];
    if (value !== undefined) parts.push(`${key} ${JSON.stringify(value)}`);
  }
  if (f.fromUs !== undefined) parts.push(`from ${new Date(f.fromUs / 1000).toISOString()}`);
  if (f.toUs !== undefined) parts.push(`to ${new Date(f.toUs / 1000).toISOString()}`);
  return parts.join(', ');
}
