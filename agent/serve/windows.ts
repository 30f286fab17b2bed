// Energy windows over any code (Zeus/CodeCarbon style): beginWindow(name) … endWindow(name), or
// measure(name, fn). A window holds the inference queue while it is open, so it never overlaps an
// inference's window (each joule is attributed once); its record goes through the same spool and
// publisher, with modelId `window:<name>`, variant `<name>`, backend `code`, input source `library`.

import { EdgewattError } from '../../common/errors.js';
import { quantizeRecord } from '../../protocol/index.js';
import { wallClockUs } from '../measure/runner.js';
import type { PowerSensor } from '../sensors/index.js';
import type { InferenceQueue } from './queue.js';
import type { recordOf } from './record.js';

export class WindowStateError extends EdgewattError {
  override readonly name = 'WindowStateError';
}

export interface CodeWindow {
  name: string;
  /** Filled in by end: the window's duration and energy. */
  durationMs: number;
  energyJ: number;
  uncertaintyJ: number;
  aboveIdleJ: number;
  provenance: 'measured' | 'estimated';
  seq: number;
}

interface OpenWindow {
  name: string;
  startNs: bigint;
  startUs: number;
  cpu: NodeJS.CpuUsage;
  release: () => void;
}

export class CodeWindows {
  private open: OpenWindow | undefined;

  constructor(
    private readonly queue: InferenceQueue,
    private readonly sensor: PowerSensor,
    private readonly push: (record: ReturnType<typeof recordOf>) => number,
  ) {}

  /** agent.infer() inside an open window would wait for the window forever: refuse it instead. */
  assertNoneOpen(): void {
    if (this.open !== undefined)
      throw new WindowStateError(
        `window ${JSON.stringify(this.open.name)} is open; close it before agent.infer()`,
        {
          hint: 'a code window holds the model queue so that energies never overlap',
        },
      );
  }

  /** Resolves once the window has started (after any inference in progress ends). */
  async begin(name: string): Promise<CodeWindow> {
    if (this.open !== undefined)
      throw new WindowStateError(
        `window ${JSON.stringify(this.open.name)} is still open; windows do not nest (end it first)`,
      );
    if (name.length === 0 || name.length > 100)
      throw new WindowStateError('a window name has 1 to 100 characters');
    let started!: () => void;
    const startedPromise = new Promise<void>((resolve) => {
      started = resolve;
    });
    const placeholder: OpenWindow = {
      name,
      startNs: 0n,
      startUs: 0,
      cpu: process.cpuUsage(),
      release: () => {},
    };
    this.open = placeholder;
    void this.queue.run(
      () =>
        new Promise<void>((release) => {
          placeholder.release = release;
          placeholder.startUs = wallClockUs();
          placeholder.cpu = process.cpuUsage();
          placeholder.startNs = process.hrtime.bigint();
          started();
        }),
      { bounded: false },
    );
    await startedPromise;
    return {
      name,
      durationMs: 0,
      energyJ: 0,
      uncertaintyJ: 0,
      aboveIdleJ: 0,
      provenance: 'estimated',
      seq: -1,
    };
  }

  async end(name: string): Promise<CodeWindow> {
    const open = this.open;
    if (open === undefined || open.name !== name)
      throw new WindowStateError(
        open === undefined
          ? `no window is open; endWindow(${JSON.stringify(name)}) needs beginWindow first`
          : `window ${JSON.stringify(open.name)} is open, not ${JSON.stringify(name)}`,
      );
    const endNs = process.hrtime.bigint();
    const cpu = process.cpuUsage(open.cpu);
    try {
      const energy = await this.sensor.energyOf({
        startNs: open.startNs,
        endNs,
        cpuUs: cpu.user + cpu.system,
      });
      const durationUs = Math.max(1, Math.round(Number(endNs - open.startNs) / 1000));
      const record = quantizeRecord({
        seq: 0,
        startUs: open.startUs,
        durationUs,
        energyJ: energy.energyJ,
        energyUncertaintyJ: energy.uncertaintyJ,
        baselineW: energy.baselineW,
        sampleCount: energy.sampleCount,
        provenance: energy.provenance,
        sensor: this.sensor.label,
        modelId: `window:${name}`,
        variant: name,
        backend: 'code',
        batchSize: 1,
        inputBytes: 0,
        outputBytes: 0,
        correct: null,
        inputSource: 'library',
      });
      const { seq: _seq, ...unsequenced } = record;
      const seq = this.push({ ...unsequenced, durationUs });
      return {
        name,
        durationMs: durationUs / 1000,
        energyJ: record.energyJ,
        uncertaintyJ: record.energyUncertaintyJ,
        aboveIdleJ: record.energyJ - (record.baselineW * durationUs) / 1e6,
        provenance: record.provenance,
        seq,
      };
    } finally {
      this.open = undefined;
      open.release();
    }
  }
}
