// The model-based energy estimate of one inference on a board without a power sensor:
// power = idle + (load − idle) × utilisation, utilisation = CPU time / (wall time × board cores).
// It is an ESTIMATE, always labelled so: the time is this host's, not the board's, so the energy
// is power × host time × the board's host-to-board speed factor (protocol/boards, an UNSOURCED
// assumption with a range), and the linear utilisation model is itself approximate. The
// uncertainty combines the sourced ranges of the board's idle and load power and the speed
// factor's range (triangular distributions) with a 25 % model-form term. Shared by the agent's
// simulated sensor and models/' per-board estimates, so both give the same number.

/** What happened during one inference, as the runtime saw it. */
export interface InferenceWindow {
  /** Monotonic clock at start and end, nanoseconds (process.hrtime.bigint()). */
  startNs: bigint;
  endNs: bigint;
  /** CPU time this process spent inside the window (user + system), microseconds. */
  cpuUs: number;
  /**
   * The window is mostly waiting on something outside the board (an offloaded request: the
   * network and the server), whose time the board does not stretch: only its CPU part runs the
   * speed factor slower there. Absent: the whole window is the board's own compute.
   */
  waiting?: boolean;
}

/** A figure with the range its sources span (a board's FactorFigure, protocol/boards/, fits). */
export interface FigureRange {
  central: number;
  low: number;
  high: number;
}

/** What the estimate needs of a board profile; every board profile has these. */
export interface EstimatedBoard {
  cpuCores: number;
  /** Board power at idle, watts. */
  idleW: FigureRange;
  /** Board power at full CPU load, watts. */
  loadW: FigureRange;
  /** How many times longer an inference takes on the board than on this host (issue 13). */
  hostSpeedFactor: FigureRange;
  /** Power while the board waits for an offloaded answer (a radio listening), where it differs from idleW. */
  offloadWaitW?: FigureRange;
}

export interface WindowEstimate {
  /** Gross energy over the window, joules. */
  energyJ: number;
  /** Standard uncertainty (k = 1), joules. */
  uncertaintyJ: number;
  /**
   * Idle baseline, watts per second of this host's time: the board's idle power × the speed
   * factor, so that energyJ − baselineW × (host) duration — what every reader of a record
   * computes — is the board's above-idle energy.
   */
  baselineW: number;
}

/** Relative standard uncertainty we assume for the linear utilisation model itself. */
const MODEL_FORM_RELATIVE_UNCERTAINTY = 0.25;

/** Standard deviation of a triangular distribution over [low, high] with mode central. */
export function triangularSd(figure: FigureRange): number {
  const { low: a, central: c, high: b } = figure;
  // Rounding leaves a tiny negative variance when low = central = high (0.00264 W does): clamp at 0.
  return Math.sqrt(Math.max(0, (a * a + b * b + c * c - a * b - a * c - b * c) / 18));
}

export function estimateWindowEnergy(board: EstimatedBoard, window: InferenceWindow): WindowEstimate {
  return windowEstimator(board)(window);
}

/**
 * estimateWindowEnergy for one board, with the board's constant figures (central values, the
 * triangular SDs) taken once: the simulated sensor estimates every agent.infer() window before
 * its answer, and reading them per window reached into the profile's objects and took three
 * square roots each time. The same arithmetic in the same order, so the same bits.
 */
export function windowEstimator(board: EstimatedBoard): (window: InferenceWindow) => WindowEstimate {
  const cores = board.cpuCores;
  const idleW = board.idleW.central;
  const loadW = board.loadW.central;
  const idleSdW = triangularSd(board.idleW);
  const loadSdW = triangularSd(board.loadW);
  const speedCentral = board.hostSpeedFactor.central;
  const speedSd = triangularSd(board.hostSpeedFactor);
  const baselineW = idleW * speedCentral;
  return (window) => {
    if (window.waiting === true) return estimateWaitingWindowEnergy(board, window);
    const durationS = Number(window.endNs - window.startNs) / 1e9;
    const cpuS = window.cpuUs / 1e6;
    const utilisation = durationS > 0 ? Math.min(1, cpuS / (durationS * cores)) : 0;
    const dynamicW = (loadW - idleW) * utilisation;
    const powerW = idleW + dynamicW;
    const modelSdW = dynamicW * MODEL_FORM_RELATIVE_UNCERTAINTY;
    const powerSdW = Math.sqrt(
      (idleSdW * (1 - utilisation)) ** 2 + (loadSdW * utilisation) ** 2 + modelSdW ** 2,
    );
    // The board runs the inference `speed` times longer than this host did (same utilisation).
    const boardS = durationS * speedCentral;
    const uncertaintyJ = Math.hypot(powerSdW * boardS, powerW * durationS * speedSd);
    return { energyJ: powerW * boardS, uncertaintyJ, baselineW };
  };
}

/** `host time × 12 (6.4–24, UNSOURCED assumption)`, for the labels of estimates. */
export function describeSpeedFactor(board: EstimatedBoard): string {
  const f = board.hostSpeedFactor;
  return `energy scaled from this host's latency to the board's by a speed factor ${f.central} (${f.low}–${f.high}, UNSOURCED assumption, protocol/boards)`;
}

/**
 * A window that waits on the network (an offloaded request): its wall time is the same on the
 * board, only the CPU it used is stretched by the speed factor. The board waits for the wall time
 * at its offload-wait power (idle, or a radio listening where the profile says so), idles for the
 * stretch, and adds its dynamic power for the stretched CPU time: energy = wait × D + idle × cpu ×
 * (speed − 1) + (load − idle) / cores × cpu × speed. A radio's transmit power is not in this model
 * (only a real sensor sees it); the estimate stays labelled as one.
 */
function estimateWaitingWindowEnergy(board: EstimatedBoard, window: InferenceWindow): WindowEstimate {
  const durationS = Number(window.endNs - window.startNs) / 1e9;
  const cpuS = Math.min(window.cpuUs / 1e6, durationS * board.cpuCores);
  const speed = board.hostSpeedFactor;
  const wait = board.offloadWaitW ?? board.idleW;
  const boardCpuS = cpuS * speed.central;
  const stretchS = cpuS * (speed.central - 1);
  const idleW = board.idleW.central;
  const perCoreDynamicW = (board.loadW.central - idleW) / board.cpuCores;
  const dynamicJ = perCoreDynamicW * boardCpuS;
  const energyJ = wait.central * durationS + idleW * stretchS + dynamicJ;
  const uncertaintyJ = Math.hypot(
    triangularSd(wait) * durationS,
    triangularSd(board.idleW) * stretchS,
    (triangularSd(board.loadW) / board.cpuCores) * boardCpuS,
    dynamicJ * MODEL_FORM_RELATIVE_UNCERTAINTY,
    (idleW + perCoreDynamicW) * cpuS * triangularSd(speed),
  );
  // Per host second, so that energyJ − baselineW × (host) duration is what the window adds to idle.
  const baselineJ = idleW * (durationS + stretchS);
  return { energyJ, uncertaintyJ, baselineW: durationS > 0 ? baselineJ / durationS : idleW };
}
