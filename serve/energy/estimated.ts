// The server's ESTIMATE where no meter is readable: power = idle + (full load − idle) × utilisation,
// utilisation = this process's CPU time (all threads) / (window × CPUs), the model the agent's
// simulated sensor uses (runtime/estimate.ts) with this host as the board and a speed factor of 1.
// All threads: the model's thread and its pools, but also the HTTP thread's work during the window
// (reading and refusing requests), which the model call no longer blocks — it is counted in.
// Labelled ESTIMATE in its method line, and so in every answer, log line and metric that carries it.

import { estimateWindowEnergy, triangularSd } from '../../runtime/estimate.js';
import type { HostPower } from './host-power.js';
import type { ComputeMarks, EnergyMeter, MarkSource, OpenWindow, WindowEnergy } from './meter.js';

/** As runtime/estimate.ts takes it for the linear utilisation model. */
const MODEL_FORM_RELATIVE_UNCERTAINTY = 0.25;

const cpuUs = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

export class EstimatedMeter implements EnergyMeter {
  readonly provenance = 'estimated' as const;
  readonly method: string;
  readonly markSource: MarkSource = { kind: 'process-cpu' };

  constructor(
    private readonly host: HostPower,
    private readonly readCpuUs: () => number = cpuUs,
  ) {
    this.method = `ESTIMATE: host power model, idle + (full load − idle) × CPU utilisation of this process; ${host.source}`;
  }

  begin(): OpenWindow {
    return { startNs: process.hrtime.bigint(), mark: this.readCpuUs() };
  }

  end(window: OpenWindow, marks?: ComputeMarks): WindowEnergy {
    const startNs = marks?.start.ns ?? window.startNs;
    const endNs = marks?.end.ns ?? process.hrtime.bigint();
    const cpuUsed = Math.max(
      0,
      marks === undefined
        ? this.readCpuUs() - window.mark
        : (marks.end.values[0] ?? 0) - (marks.start.values[0] ?? 0),
    );
    const estimate = estimateWindowEnergy(this.host.board, { startNs, endNs, cpuUs: cpuUsed });
    const durationS = Number(endNs - startNs) / 1e9;
    // The answer's energy is the part above idle, (full load − idle) × utilisation × window: its
    // uncertainty comes from both powers' ranges and the model form, not from idle's own range.
    const { board } = this.host;
    const utilisation = durationS > 0 ? Math.min(1, cpuUsed / 1e6 / (durationS * board.cpuCores)) : 0;
    const workJ = (board.loadW.central - board.idleW.central) * utilisation * durationS;
    const workSdJ = Math.hypot(
      triangularSd(board.loadW) * utilisation * durationS,
      triangularSd(board.idleW) * utilisation * durationS,
      workJ * MODEL_FORM_RELATIVE_UNCERTAINTY,
    );
    return { grossJ: estimate.energyJ, uncertaintyJ: workSdJ, idleW: estimate.baselineW, durationS };
  }

  idleW(): number {
    return this.host.board.idleW.central;
  }

  async close(): Promise<void> {}
}
