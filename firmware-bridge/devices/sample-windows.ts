// Turns a monitor's sample stream and its inference-window marks into measured windows. Samples
// arrive in index order; a mark says "the window pin changed level before sample `index`". A gap
// in sample indices (a lost packet, a USB hiccup) is counted, and a window that overlaps one is
// reported with its missing samples and never silently integrated as if it were whole.
// Shared by the reference firmware (marks as packets) and the PPK2 (marks in the logic bits).

export interface MeasuredWindow {
  startIndex: number;
  endIndex: number;
  /** Samples integrated; endIndex - startIndex when none were lost. */
  sampleCount: number;
  missingSamples: number;
  energyJ: number;
  durationS: number;
  /** Mean power of the samples between the previous window and this one (the board idling). */
  idleW: number | null;
  idleSamples: number;
}

export interface WindowCounters {
  samples: number;
  missingSamples: number;
  windows: number;
  /** Windows that overlapped missing samples: reported, not integrated into a record. */
  incompleteWindows: number;
  /** Marks that contradicted the stream (an end without a begin, a mark behind the samples). */
  markErrors: number;
}

export class SampleWindows {
  private nextIndex: number | null = null;
  private open: { startIndex: number; energyJ: number; samples: number; missing: number } | null = null;
  private idleEnergyJ = 0;
  private idleSamples = 0;
  readonly counters: WindowCounters = {
    samples: 0,
    missingSamples: 0,
    windows: 0,
    incompleteWindows: 0,
    markErrors: 0,
  };

  constructor(
    readonly sampleRateHz: number,
    private readonly onWindow: (window: MeasuredWindow) => void,
  ) {
    if (!(sampleRateHz > 0)) throw new RangeError(`sample rate ${sampleRateHz} Hz must be positive`);
  }

  /** The index of the next sample expected; null before the first. */
  get expectedIndex(): number | null {
    return this.nextIndex;
  }

  /** Power samples (W) starting at sample `firstIndex`. */
  samples(firstIndex: number, powerW: ArrayLike<number>): void {
    if (this.nextIndex !== null && firstIndex < this.nextIndex) {
      // Samples seen already (a repeated packet): only what is new counts.
      const seen = this.nextIndex - firstIndex;
      if (seen >= powerW.length) return;
      this.samples(this.nextIndex, Array.prototype.slice.call(powerW, seen) as number[]);
      return;
    }
    this.skipTo(firstIndex);
    const dtS = 1 / this.sampleRateHz;
    let energyJ = 0;
    for (let i = 0; i < powerW.length; i++) energyJ += (powerW[i] as number) * dtS;
    if (this.open !== null) {
      this.open.energyJ += energyJ;
      this.open.samples += powerW.length;
    } else {
      this.idleEnergyJ += energyJ;
      this.idleSamples += powerW.length;
    }
    this.counters.samples += powerW.length;
    this.nextIndex = firstIndex + powerW.length;
  }

  /** The window pin went to `level` before sample `index`. */
  mark(index: number, level: 0 | 1): void {
    if (this.nextIndex !== null && index < this.nextIndex) {
      // The mark refers to samples already counted on the wrong side: the window is unknowable.
      this.counters.markErrors++;
      if (this.open !== null) this.open.missing = Math.max(this.open.missing, 1);
    } else {
      this.skipTo(index);
    }
    if (level === 1) {
      if (this.open !== null) this.counters.markErrors++; // two begins: the first window is lost
      this.open = { startIndex: index, energyJ: 0, samples: 0, missing: 0 };
      return;
    }
    if (this.open === null) {
      this.counters.markErrors++;
      return;
    }
    const window = this.open;
    this.open = null;
    this.counters.windows++;
    if (window.missing > 0) this.counters.incompleteWindows++;
    const idleW = this.idleSamples > 0 ? (this.idleEnergyJ * this.sampleRateHz) / this.idleSamples : null;
    const idleSamples = this.idleSamples;
    this.idleEnergyJ = 0;
    this.idleSamples = 0;
    this.onWindow({
      startIndex: window.startIndex,
      endIndex: index,
      sampleCount: window.samples,
      missingSamples: window.missing,
      energyJ: window.energyJ,
      durationS: (index - window.startIndex) / this.sampleRateHz,
      idleW,
      idleSamples,
    });
  }

  /** Counts the samples between what was seen and `index` as missing. */
  private skipTo(index: number): void {
    if (this.nextIndex === null) {
      this.nextIndex = index;
      return;
    }
    const gap = index - this.nextIndex;
    if (gap <= 0) return;
    this.counters.missingSamples += gap;
    if (this.open !== null) this.open.missing += gap;
    this.nextIndex = index;
  }
}
