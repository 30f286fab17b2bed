// Drives an LPM01A as the MLCommons runner does (setup, power, acquisition, teardown) and keeps
// what it measures: the energy of every sample period, the sample index of every DUT timestamp
// event, and a check of every second: exactly `freq` samples between two TimeStamp lines, else
// the gap is counted and reported (the runner only prints a warning; we mark the run).

import { EdgewattError } from '../../../common/errors.js';
import { type Lpm01aLine, parseLine } from './protocol.js';

export class Lpm01aError extends EdgewattError {
  override readonly name = 'Lpm01aError';
}

export interface Lpm01aSetup {
  /** Supply voltage of the target, mV (1800-3300). */
  voltageMv: number;
  /** Sampling (integration) frequency, Hz; energy output integrates at most 10 kHz. */
  freqHz: number;
}

export interface Lpm01aCounters {
  samples: number;
  seconds: number;
  /** Seconds whose sample count was not the configured frequency. */
  secondsWithGaps: number;
  /** |expected − received| summed over those seconds. */
  missingSamples: number;
  tornLines: number;
  events: number;
  messages: number;
}

/** Maximum samples kept for one run (100 minutes at 1 kHz); past it the run is refused, not grown. */
export const MAX_RUN_SAMPLES = 6_000_000;

const FREQS: Record<number, string> = {
  100000: '100k',
  50000: '50k',
  20000: '20k',
  10000: '10k',
  5000: '5k',
  2000: '2k',
  1000: '1k',
};

export function freqArgument(freqHz: number): string {
  return FREQS[freqHz] ?? String(freqHz);
}

interface Pending {
  command: string;
  resolve: (output: string) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  failed: boolean;
}

export class Lpm01aDriver {
  private pending: Pending | null = null;
  private completionWaiters: (() => void)[] = [];
  private samplesThisSecond = 0;
  private energyJ: number[] = [];
  private freqHz = 1000;
  /** Sample index (samples received before it) of each DUT timestamp event. */
  readonly eventSampleIndex: number[] = [];
  readonly counters: Lpm01aCounters = {
    samples: 0,
    seconds: 0,
    secondsWithGaps: 0,
    missingSamples: 0,
    tornLines: 0,
    events: 0,
    messages: 0,
  };

  constructor(
    private readonly write: (text: string) => Promise<void>,
    private readonly timeoutMs = 5_000,
  ) {}

  get sampleRateHz(): number {
    return this.freqHz;
  }

  /** Energy of each sample period so far, J. */
  get samplesJ(): readonly number[] {
    return this.energyJ;
  }

  onLine(raw: string): void {
    const line: Lpm01aLine = parseLine(raw);
    switch (line.kind) {
      case 'samples':
        if (line.torn) this.counters.tornLines++;
        if (this.energyJ.length + line.valuesJ.length > MAX_RUN_SAMPLES) return;
        for (const value of line.valuesJ) this.energyJ.push(value);
        this.samplesThisSecond += line.valuesJ.length;
        this.counters.samples += line.valuesJ.length;
        return;
      case 'timestamp':
        this.counters.seconds++;
        if (this.samplesThisSecond !== this.freqHz) {
          this.counters.secondsWithGaps++;
          this.counters.missingSamples += Math.abs(this.freqHz - this.samplesThisSecond);
        }
        this.samplesThisSecond = 0;
        return;
      case 'event':
        this.counters.events++;
        this.eventSampleIndex.push(this.energyJ.length);
        return;
      case 'ack':
      case 'error':
        this.answer(line.kind, line.text);
        return;
      case 'error-detail': {
        const pending = this.pending;
        if (pending?.failed) {
          this.settle();
          pending.reject(new Lpm01aError(`LPM01A refused "${pending.command}": ${line.text}`));
        }
        return;
      }
      case 'message':
        this.counters.messages++;
        if (line.text.includes('Acquisition completed'))
          for (const resolve of this.completionWaiters.splice(0)) resolve();
        return;
    }
  }

  private answer(kind: 'ack' | 'error', text: string): void {
    const pending = this.pending;
    if (pending === null || !text.startsWith(pending.command)) return;
    if (kind === 'ack') {
      this.settle();
      pending.resolve(text.slice(pending.command.length).trim());
      return;
    }
    pending.failed = true; // the reason follows on an "Error detail:" line
  }

  /** Rejects the command waiting for its answer (the bridge is stopping). */
  cancel(reason: string): void {
    const pending = this.pending;
    if (pending === null) return;
    this.settle();
    pending.reject(new Lpm01aError(`"${pending.command}" cancelled: ${reason}`));
  }

  private settle(): void {
    if (this.pending !== null) clearTimeout(this.pending.timer);
    this.pending = null;
  }

  /** Sends one command and resolves with its output once acknowledged. */
  async command(command: string): Promise<string> {
    if (this.pending !== null)
      throw new Lpm01aError(`command "${command}" sent while "${this.pending.command}" waits for its answer`);
    const answered = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(
          new Lpm01aError(
            `LPM01A did not answer "${command}" within ${this.timeoutMs} ms; check the port, the baud rate (3686400) and that the board is powered`,
          ),
        );
      }, this.timeoutMs);
      this.pending = { command, resolve, reject, timer, failed: false };
    });
    await this.write(`${command}\n`);
    return answered;
  }

  /** The runner's setup: host control, target off, infinite software-triggered acquisition, energy at freq. */
  async setup({ voltageMv, freqHz }: Lpm01aSetup): Promise<void> {
    if (voltageMv < 1800 || voltageMv > 3300)
      throw new Lpm01aError(`target voltage ${voltageMv} mV is outside the LPM01A's 1800-3300 mV`);
    if (freqHz > 10_000) throw new Lpm01aError(`energy output integrates at most 10 kHz; ${freqHz} Hz asked`);
    this.freqHz = freqHz;
    for (const command of [
      'htc',
      'pwr off',
      'acqtime inf',
      'trigdelay 0',
      'trigsrc sw',
      'eventsrc d7 fal',
      'output energy',
      'format ascii_dec',
      `freq ${freqArgument(freqHz)}`,
      `volt ${voltageMv}m`,
    ]) {
      await this.command(command);
    }
  }

  async start(): Promise<void> {
    await this.command('pwr on nostatus');
    await this.command('start');
  }

  /** Stops the acquisition and waits for "Acquisition completed" (the runner's stop()). */
  async stop(): Promise<void> {
    const completed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Lpm01aError(`no "Acquisition completed" within ${this.timeoutMs} ms of stop`)),
        this.timeoutMs,
      );
      this.completionWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.write('stop\n');
    await completed;
  }

  async teardown(): Promise<void> {
    await this.command('pwr off');
    await this.command('hrc');
  }
}
