// The MLPerf Tiny device-under-test serial protocol (mlcommons/tiny benchmark/api/
// internally_implemented.cpp, runner/device_under_test.py; wave2_anchors §3.3): commands end with
// `%` and are at most 80 characters; every command's output ends with `m-ready`; errors are
// `e-[...]`. Input goes in as `db load N%` then `db <hex>%` chunks of at most 31 bytes; `infer N W%`
// runs W warm-up then N timed inferences and prints `m-results-[...]` (and `m-lap-us-<µs>` in
// performance mode).

import { EdgewattError } from '../../../common/errors.js';

export class DutError extends EdgewattError {
  override readonly name = 'DutError';
}

/** The DUT's command buffer (EE_CMD_SIZE). */
export const MAX_COMMAND_CHARS = 80;
/** Bytes per `db` chunk when the DUT is wired directly (device_under_test.py). */
export const DB_CHUNK_BYTES = 31;

export interface InferResult {
  /** The output vector as printed (3 decimals). */
  results: number[];
  /** Performance mode: µs between the two timestamps; undefined in energy mode. */
  lapUs: number[];
  lines: string[];
}

export interface DutCounters {
  commands: number;
  timeouts: number;
  errors: number;
}

interface Pending {
  command: string;
  lines: string[];
  resolve: (lines: string[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class DutDriver {
  private pending: Pending | null = null;
  readonly counters: DutCounters = { commands: 0, timeouts: 0, errors: 0 };
  /** Lines that arrived when no command waited (boot banner, a late answer after a timeout). */
  readonly unsolicited: string[] = [];

  constructor(private readonly write: (text: string) => Promise<void>) {}

  private lastLineAtMs = 0;

  onLine(raw: string): void {
    const line = raw.trim();
    if (line === '') return;
    this.lastLineAtMs = performance.now();
    const pending = this.pending;
    if (pending === null) {
      if (this.unsolicited.length < 100) this.unsolicited.push(line);
      return;
    }
    if (line === 'm-ready') {
      this.settle();
      const errors = pending.lines.filter((l) => l.startsWith('e-['));
      if (errors.length > 0) {
        this.counters.errors++;
        pending.reject(new DutError(`DUT answered "${pending.command}%" with ${errors.join(' ')}`));
      } else {
        pending.resolve(pending.lines);
      }
      return;
    }
    pending.lines.push(line);
  }

  /** Rejects the command waiting for its answer (the bridge is stopping). */
  cancel(reason: string): void {
    const pending = this.pending;
    if (pending === null) return;
    this.settle();
    pending.reject(new DutError(`"${pending.command}%" cancelled: ${reason}`));
  }

  private settle(): void {
    if (this.pending !== null) clearTimeout(this.pending.timer);
    this.pending = null;
  }

  /** Sends `command%` and resolves with the lines before `m-ready`. */
  async send(command: string, timeoutMs = 5_000): Promise<string[]> {
    const text = `${command}%`;
    if (text.length > MAX_COMMAND_CHARS) {
      throw new DutError(
        `command of ${text.length} characters does not fit the DUT's ${MAX_COMMAND_CHARS}-character buffer`,
      );
    }
    if (this.pending !== null)
      throw new DutError(`"${text}" sent while "${this.pending.command}%" waits for m-ready`);
    this.counters.commands++;
    const answered = new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.counters.timeouts++;
        reject(
          new DutError(
            `DUT did not finish "${text}" with m-ready within ${timeoutMs} ms; the board may have stopped answering`,
          ),
        );
      }, timeoutMs);
      this.pending = { command, lines: [], resolve, reject, timer };
    });
    await this.write(text);
    return answered;
  }

  /**
   * Gets in step with the DUT: its boot banner (`m-init-done`, `m-ready`) may be waiting in the
   * port when we open it, or still on its way, and the protocol has no way to tell which command
   * an `m-ready` answers. So: wait until the line has been quiet for quietMs (counted from now at
   * the earliest: a banner not yet sent is not silence), then ask its name, up to 3 times as the
   * runner does. After a try that met a stray `m-ready` (the banner answered it, so its own
   * answer is still coming), the line is left to go quiet again: that late answer then arrives
   * while no command waits and is dropped, instead of answering the next command and putting
   * every later command one answer behind (a load that never said m-load-done under CI load).
   */
  async handshake(quietMs = 200, maxWaitMs = 3_000): Promise<string> {
    await this.quiet(quietMs, maxWaitMs);
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const name = await this.name();
        if (name !== 'unknown') {
          if (attempt > 0) await this.quiet(quietMs, maxWaitMs);
          return name;
        }
      } catch (error) {
        last = error;
      }
      const seen = this.unsolicited.length;
      await this.quiet(quietMs, maxWaitMs);
      // The answer to this try, arrived late: the DUT did say its name (a DUT that answers only
      // so many commands must not be asked again).
      const late = this.unsolicited.slice(seen).find((l) => l.startsWith('m-name-dut-['));
      const lateName = /\[(.*)\]/.exec(late ?? '')?.[1];
      if (lateName !== undefined) return lateName;
    }
    throw new DutError(
      `the DUT did not say its name in 3 tries (${last instanceof Error ? last.message : 'no m-name-dut line'}); check its port and baud rate (9600 in energy mode)`,
    );
  }

  /** Waits until no line has arrived for quietMs since the later of the last line and now, or maxWaitMs. */
  private async quiet(quietMs: number, maxWaitMs: number): Promise<void> {
    const start = performance.now();
    while (
      performance.now() - Math.max(this.lastLineAtMs, start) < quietMs &&
      performance.now() - start < maxWaitMs
    ) {
      await new Promise((resolve) => setTimeout(resolve, quietMs / 4));
    }
  }

  /** `m-name-dut-[vendor]` → vendor. */
  async name(): Promise<string> {
    const line = (await this.send('name')).find((l) => l.startsWith('m-name-dut-['));
    return /\[(.*)\]/.exec(line ?? '')?.[1] ?? 'unknown';
  }

  /** The benchmark model the firmware runs (`m-model-[kws01]` → kws01). */
  async profile(): Promise<{ profile: string; model: string }> {
    const lines = await this.send('profile');
    const pick = (prefix: string) =>
      /\[(.*)\]/.exec(lines.find((l) => l.startsWith(prefix)) ?? '')?.[1] ?? 'unknown';
    return { profile: pick('m-profile-['), model: pick('m-model-[') };
  }

  /** Loads one input: `db load N%` then hex chunks; the DUT says m-load-done after the last. */
  async loadInput(bytes: Uint8Array): Promise<void> {
    await this.send(`db load ${bytes.length}`);
    let done = false;
    for (let offset = 0; offset < bytes.length; offset += DB_CHUNK_BYTES) {
      const hex = Buffer.from(bytes.subarray(offset, offset + DB_CHUNK_BYTES)).toString('hex');
      const lines = await this.send(`db ${hex}`);
      done ||= lines.includes('m-load-done');
    }
    if (!done) throw new DutError(`DUT did not say m-load-done after ${bytes.length} bytes`);
  }

  /** `infer N W%`: W warm-up then N inferences (30 s timeout, as the runner). */
  async infer(count: number, warmup: number, timeoutMs = 30_000): Promise<InferResult> {
    const lines = await this.send(`infer ${count} ${warmup}`, timeoutMs);
    const resultsLine = lines.find((l) => l.startsWith('m-results-['));
    const results =
      resultsLine === undefined
        ? []
        : (/\[(.*)\]/.exec(resultsLine)?.[1] ?? '').split(',').filter(Boolean).map(Number);
    const lapUs = lines.flatMap((l) => {
      const m = /^m-lap-us-(\d+)/.exec(l);
      return m ? [Number(m[1])] : [];
    });
    return { results, lapUs, lines };
  }
}
