// The ST X-NUCLEO-LPM01A (PowerShield) serial protocol as the MLCommons runner uses it
// (mlcommons/tiny benchmark/runner/power_manager/power_manager_lpm.py; wave2_anchors §3.1): ASCII
// lines; a command is answered `ack <command> [output]` or `error <command>` then
// `Error detail: ...`; in energy mode each sample is the energy of one sampling period as
// `dddd±ee` (6409-07 = 6409·10⁻⁷, in J as current mode's values are in A); once a second a
// `TimeStamp: 001s 000ms, buff 00%` line; the DUT's timestamp pin shows up as `event <n> ris`.

export const PROMPT = 'PowerShield > ';
export const SAMPLE_PATTERN = /\d{4}[+-]\d{2}/g;

export type Lpm01aLine =
  | { kind: 'samples'; valuesJ: number[] /** Characters outside samples: a torn line. */; torn: boolean }
  | { kind: 'timestamp'; seconds: number; milliseconds: number; bufferPercent: number }
  | { kind: 'event'; number: number; edge: 'ris' | 'fal' }
  /** `text` is the command as echoed, then its output. */
  | { kind: 'ack'; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'error-detail'; text: string }
  | { kind: 'message'; text: string };

/** `6409-07` → 6.409e-4. */
export function parseDecimalSample(token: string): number {
  const mantissa = Number(token.slice(0, 4));
  const exponent = Number(token.slice(4));
  return mantissa * 10 ** exponent;
}

/** `6.409e-4` → `6409-07` (the emulator's side; 4 significant digits, as the instrument sends). */
export function formatDecimalSample(valueJ: number): string {
  if (!(valueJ > 0)) return '0000+00';
  let exponent = Math.floor(Math.log10(valueJ)) - 3;
  let mantissa = Math.round(valueJ / 10 ** exponent);
  if (mantissa >= 10_000) {
    mantissa = Math.round(mantissa / 10);
    exponent++;
  }
  const sign = exponent < 0 ? '-' : '+';
  return `${String(mantissa).padStart(4, '0')}${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** Classifies one line (without its line end). Never throws. */
export function parseLine(raw: string): Lpm01aLine {
  const line = raw.replaceAll(PROMPT, '').trim();
  const timestamp = /^TimeStamp:\s*(\d+)s\s+(\d+)ms,\s*buff\s+(\d+)%/.exec(line);
  if (timestamp) {
    return {
      kind: 'timestamp',
      seconds: Number(timestamp[1]),
      milliseconds: Number(timestamp[2]),
      bufferPercent: Number(timestamp[3]),
    };
  }
  const event = /^event\s+(\d+)\s+(ris|fal)$/.exec(line);
  if (event) return { kind: 'event', number: Number(event[1]), edge: event[2] as 'ris' | 'fal' };
  const samples = [...line.matchAll(SAMPLE_PATTERN)];
  if (samples.length > 0 && /^\d/.test(line)) {
    const covered = samples.reduce((n, m) => n + m[0].length, 0);
    return {
      kind: 'samples',
      valuesJ: samples.map((m) => parseDecimalSample(m[0])),
      torn: covered !== line.length,
    };
  }
  const ack = /^ack\s+(.*)$/.exec(line);
  if (ack) return { kind: 'ack', text: ack[1] ?? '' };
  const error = /^error\s+(.*)$/.exec(line);
  if (error) return { kind: 'error', text: error[1] ?? '' };
  if (line.startsWith('Error detail:'))
    return { kind: 'error-detail', text: line.slice('Error detail:'.length).trim() };
  return { kind: 'message', text: line };
}
