// The answer of `edgewatt serve`'s POST /v1/infer (issue 16, /work/notes/offload-contract.md §1):
// the prediction, the server's identity (id, grid region, PUE class, so the collector can price
// it), the batch the request ran in, and the server's energy for this request with its provenance.
// One schema for both sides: serve/ builds its answers through it, the agent's offload client
// parses them with it.

import { z } from 'zod';

/** How the server's energy was obtained: RAPL counters, NVML power (nvidia-smi), or the host power model. */
export const SERVER_ENERGY_PROVENANCES = ['rapl', 'nvml', 'estimated'] as const;
export type ServerEnergyProvenance = (typeof SERVER_ENERGY_PROVENANCES)[number];

const joules = z.number().finite().min(0);
const seconds = z.number().finite().min(0);

export const serveAnswerSchema = z.strictObject({
  /** Class scores of the request's first input. */
  prediction: z.array(z.number().finite()),
  /**
   * Class scores of every input of the request, in order: sent when the request asks for them
   * (`X-Edgewatt-Predictions: all`), so that an agent older than this field, whose schema is
   * strict, never meets it.
   */
  predictions: z.array(z.array(z.number().finite())).optional(),
  /** Index of the highest score in `prediction`. */
  classIndex: z.number().int().min(0),
  /** X-Edgewatt-Request-Id echoed back (the agent's seq), or null when none was sent. */
  requestId: z.string().nullable(),
  server: z.strictObject({
    id: z.string().min(1),
    /** Grid region id where the server runs (its config), for the carbon intensity. */
    region: z.string().min(1),
    /** PUE class of its datacenter (its config), e.g. industry-average, hyperscale. */
    pueClass: z.string().min(1),
  }),
  batch: z.strictObject({
    /** Inputs in the model call this request ran in (all requests of the batch). */
    size: z.number().int().min(1),
    /** Time the request waited in the batcher's queue, s. */
    queueS: seconds,
    /** Duration of the batch's model call (its energy window), s. */
    computeS: seconds,
  }),
  energy: z.strictObject({
    /** This request's share of the batch's energy above idle power over the compute window, J. */
    requestJ: joules,
    /** Standard uncertainty of requestJ (k = 1), J. */
    uncertaintyJ: joules,
    /** This request's share of idle power × the compute window, J: not included in requestJ. */
    idleShareJ: joules,
    provenance: z.enum(SERVER_ENERGY_PROVENANCES),
    /** One line: the meter and what it covers; an estimate says ESTIMATE. */
    method: z.string().min(1),
  }),
  /** Server-side latency, from the request's arrival to its answer, s. */
  latencyS: seconds,
});

export type ServeAnswer = z.infer<typeof serveAnswerSchema>;

/** Headers of the offload request (the answer echoes the request id). */
export const SERVE_HEADERS = {
  device: 'x-edgewatt-device',
  requestId: 'x-edgewatt-request-id',
  dtype: 'x-edgewatt-dtype',
  shape: 'x-edgewatt-shape',
  /** `all`: answer every input's scores in `predictions` (else `prediction` only, the first input's). */
  predictions: 'x-edgewatt-predictions',
} as const;
