// What `edgewatt experiment analyse <id> --json` prints: the one shape the analysis produces and the
// HTML report, the web page and the dashboards read (/work/notes/experiment-contract.md). Fields may
// be added, never removed. Times are ISO 8601 strings; energies J per inference; carbon gCO2e.

import { z } from 'zod';

export const ANALYSIS_SCHEMA = 'edgewatt.experiment-analysis/1';

const isoTime = z.string().min(1);
const finite = z.number();
/** A central value with its 95 % interval. */
const interval = z.strictObject({ central: finite, lo: finite, hi: finite });

export const armSpecSchema = z.strictObject({
  id: z.string().min(1),
  /** Model id (artifact SHA-256) the arm deploys. */
  model: z.string().min(1),
  /** Variant name of that model (for people), e.g. `pruned-50`. */
  variant: z.string(),
  placement: z.enum(['edge', 'offload', 'auto']),
});

/** An offload arm's offload records as its carbon took them (offload-carbon.ts). */
export const measuredOffloadSchema = z.strictObject({
  /** Offload records in the arm's analysed periods, and those answered (outcome ok). */
  records: z.number().int().min(0),
  answered: z.number().int().min(0),
  /** The device's gross energy over the request window (radio and waiting), J per request. */
  deviceEnergyJ: finite,
  /** measured, estimated or mixed, and the sensors. */
  deviceEnergyProvenance: z.string(),
  sensors: z.array(z.string()),
  roundTripMs: finite,
  /** On the TCP socket per request (headers, TLS and protocol overhead included). */
  socketBytesSent: finite,
  socketBytesReceived: finite,
  /** The server's energy per request, idle share excluded. */
  serverEnergyJ: finite,
  /** rapl, nvml, estimated or mixed. */
  serverEnergyProvenance: z.string(),
  servers: z.array(z.string()),
  serverRegions: z.array(z.string()),
  serverPueClasses: z.array(z.string()),
  /** Share of labelled answered requests whose feedback matched the server's answer; null: none labelled. */
  accuracy: finite.nullable(),
  labelled: z.number().int().min(0),
});

/** One share of an auto arm: its records answered on one side, priced as an arm of that placement. */
export const autoShareSchema = z.strictObject({
  /** Analysed inferences whose answer came from this side. */
  n: z.number().int().min(0),
  boards: z.number().int().min(0),
  /** Mean over boards of each board's mean energy per inference of the share, board-bootstrap 95 % interval. */
  energyJ: z.strictObject({ mean: finite, lo: finite, hi: finite }),
  accuracy: finite.nullable(),
  carbonPerInferenceG: interval,
  carbonPerCorrectG: interval.nullable(),
  provenance: z.string(),
});

/** How an auto arm's carbon was made from its two shares (auto-carbon.ts). */
export const autoSharesSchema = z.strictObject({
  /** f: the share of the arm's answered analysed inferences that the server answered. */
  offloadedFraction: z.number().min(0).max(1),
  /** Analysed requests that got no answer and did not fall back: in the arm's energy, in neither share. */
  unanswered: z.number().int().min(0),
  /** Null when the share has no records (the arm is then priced wholly on the other side). */
  edge: autoShareSchema.nullable(),
  offload: autoShareSchema.nullable(),
  /** One sentence: how the arm's figure was made (a mixture, or one side alone and why). */
  method: z.string(),
});

export const analysisResultSchema = z.strictObject({
  schema: z.literal(ANALYSIS_SCHEMA),
  /** When the analysis ran. */
  generatedAt: isoTime,
  experiment: z.strictObject({
    id: z.string().min(1),
    design: z.enum(['crossover', 'parallel']),
    arms: z.array(armSpecSchema).min(1),
    seed: z.number().int(),
    periods: z.number().int().min(1),
    periodS: z.number().positive(),
    washoutS: z.number().min(0),
    /** Seconds after each switch whose records count as warm-up (inside the washout when shorter). */
    warmupS: z.number().min(0),
    devices: z.array(z.string()),
    startedAt: isoTime,
    endedAt: isoTime.nullable(),
  }),
  /** Each board's periods; records in [start, washoutEnd) are kept in the store but not analysed. */
  schedule: z.array(
    z.strictObject({
      device: z.string(),
      period: z.number().int().min(0),
      arm: z.string(),
      start: isoTime,
      end: isoTime,
      washoutEnd: isoTime,
    }),
  ),
  /** The unit of analysis: one board in one period (warm-up and washout records excluded). */
  perBoardPeriod: z.array(
    z.strictObject({
      device: z.string(),
      period: z.number().int().min(0),
      arm: z.string(),
      n: z.number().int().min(0),
      meanEnergyJ: finite.nullable(),
      meanAboveIdleJ: finite.nullable(),
      p95LatencyMs: finite.nullable(),
      accuracy: finite.nullable(),
      excluded: z.strictObject({
        warmup: z.number().int().min(0),
        washout: z.number().int().min(0),
        /** Records in the period whose arm tag is not the scheduled arm (a switch that came late). */
        wrongArm: z.number().int().min(0),
      }),
    }),
  ),
  arms: z.array(
    z.strictObject({
      arm: z.string(),
      /** Records analysed. */
      n: z.number().int().min(0),
      boards: z.number().int().min(0),
      /** Mean over boards of each board's mean energy per inference, with a board-bootstrap 95 % interval. */
      energyJ: z.strictObject({ mean: finite, lo: finite, hi: finite }),
      latencyP95Ms: finite.nullable(),
      accuracy: finite.nullable(),
      carbonPerInferenceG: interval,
      carbonPerCorrectG: interval.nullable(),
      /** Where the carbon figures come from (the life-cycle scenario and what was measured). */
      provenance: z.string(),
      /**
       * An offload arm's measured offload values, which its carbon took instead of the scenario's
       * offload terms (means over its answered requests in analysed periods); absent otherwise.
       */
      measuredOffload: measuredOffloadSchema.optional(),
      /**
       * An auto arm's two shares (answered on the edge, offloaded) with their fraction and each
       * side's carbon; the arm's carbon is their mixture (1 − f)·edge + f·offload. Absent otherwise.
       */
      autoShares: autoSharesSchema.optional(),
      /**
       * An offload arm (or an auto arm's offloaded share) whose offload records could not be taken
       * as measured values: why, and the scenario's offload terms its carbon took instead (each
       * with its value and source). Absent when measured, and for edge arms.
       */
      assumedOffload: z.strictObject({ reason: z.string(), terms: z.array(z.string()) }).optional(),
    }),
  ),
  contrasts: z.array(
    z.strictObject({
      a: z.string(),
      b: z.string(),
      metric: z.literal('energyJ'),
      /** b − a, J per inference (mean over boards of paired differences). */
      diff: finite,
      /** (b − a) ÷ a. */
      relDiff: finite,
      lo: finite,
      hi: finite,
      relLo: finite,
      relHi: finite,
      /** Two-sided randomisation (sign-flip or permutation) p-value of no difference. */
      pValue: z.number().min(0).max(1),
      method: z.enum(['paired board-level bootstrap', 'two-group board-level bootstrap']),
      bootstrapN: z.number().int().min(1),
      seed: z.number().int(),
      /** Boards that ran both arms (crossover) or boards in a or b (parallel). */
      boards: z.number().int().min(0),
      significant: z.boolean(),
      cuped: z.strictObject({
        applied: z.boolean(),
        theta: finite.optional(),
        varianceReduction: finite.optional(),
        /** Why it was not applied (no pre-experiment records, too few boards). */
        reason: z.string().optional(),
      }),
    }),
  ),
  perBoardDifferences: z.array(
    z.strictObject({ device: z.string(), a: z.string(), b: z.string(), diff: finite, relDiff: finite }),
  ),
  checks: z.strictObject({
    sampleRatio: z.strictObject({
      /** Board-periods per arm the schedule planned. */
      expected: z.record(z.string(), z.number()),
      /** Board-periods per arm that have analysable records. */
      observed: z.record(z.string(), z.number()),
      pValue: z.number().min(0).max(1),
      ok: z.boolean(),
      /** The same on record counts (loss per arm biases the means). */
      records: z
        .strictObject({
          expected: z.record(z.string(), z.number()),
          observed: z.record(z.string(), z.number()),
          pValue: z.number().min(0).max(1),
          ok: z.boolean(),
        })
        .optional(),
    }),
    carryOver: z.strictObject({
      /** Relative change of a period's mean when the previous period ran the other arm; null when not estimable. */
      estimate: finite.nullable(),
      pValue: z.number().min(0).max(1).nullable(),
      ok: z.boolean(),
    }),
    warmupExcluded: z.number().int().min(0),
    washoutExcluded: z.number().int().min(0),
    warnings: z.array(z.string()),
  }),
  /** Per board, downsampled: [time ms, energy J, arm or null, in washout]. */
  timeSeries: z.array(
    z.strictObject({
      device: z.string(),
      points: z.array(z.tuple([finite, finite, z.string().nullable(), z.boolean()])),
    }),
  ),
  /** Per arm: [upper bin edge ms, count] over analysed records. */
  latency: z.array(z.strictObject({ arm: z.string(), histogram: z.array(z.tuple([finite, finite])) })),
  /**
   * Break-even inference rate of edge vs offload from the life-cycle engine, per arm: an edge arm
   * against the offload arm of the same model whose offload values were measured (`against`), else
   * against the scenario's offload terms (the note says which and why); an offload arm against the
   * edge arm of the same model (`against`), else none; an auto arm its edge share against its
   * offloaded share.
   */
  breakeven: z
    .array(
      z.strictObject({
        arm: z.string(),
        inferencesPerDay: finite.nullable(),
        note: z.string(),
        /**
         * The arm the row is computed against: for an offload arm the edge arm of the same model,
         * for an edge arm the measured offload arm of the same model.
         */
        against: z.string().optional(),
      }),
    )
    .optional(),
  /** One sentence: which arm, by how much, how sure. */
  conclusion: z.string(),
});

export type AnalysisResult = z.infer<typeof analysisResultSchema>;
export type ArmSpec = z.infer<typeof armSpecSchema>;
export type ContrastResult = AnalysisResult['contrasts'][number];
export type BoardPeriodResult = AnalysisResult['perBoardPeriod'][number];
export type ScheduleEntry = AnalysisResult['schedule'][number];
