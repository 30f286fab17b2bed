// The Nordic Power Profiler Kit II's serial protocol, as Nordic's own app speaks it
// (NordicSemiconductor/pc-nrfconnect-ppk src/device/serialDevice.ts, src/constants.ts;
// wave2_anchors §3.2): raw command bytes without framing or acknowledgement; metadata as text
// lines `key: value` ending `END`; then a stream of little-endian uint32 samples every 10 µs:
// bits 0-13 ADC, 14-16 measurement range, 18-23 a 6-bit counter, 24-31 the eight logic inputs.

export const PPK2_SAMPLE_RATE_HZ = 100_000;
export const PPK2_COMMAND = {
  averageStart: 0x06,
  averageStop: 0x07,
  deviceRunningSet: 0x0c,
  regulatorSet: 0x0d,
  setPowerMode: 0x11,
  getMetadata: 0x19,
  reset: 0x20,
} as const;

/** Per-range calibration (index = range 0-4), as the metadata gives it; Nordic's app defaults. */
export interface Ppk2Calibration {
  r: number[];
  gs: number[];
  gi: number[];
  o: number[];
  s: number[];
  i: number[];
  ug: number[];
}

export const DEFAULT_CALIBRATION: Ppk2Calibration = {
  r: [1031.64, 101.65, 10.15, 0.94, 0.043],
  gs: [1, 1, 1, 1, 1],
  gi: [1, 1, 1, 1, 1],
  o: [0, 0, 0, 0, 0],
  s: [0, 0, 0, 0, 0],
  i: [0, 0, 0, 0, 0],
  ug: [1, 1, 1, 1, 1],
};

const ADC_MULT = 1.8 / 163_840;

/** `[0x0d, b1, b2]`: diff = mV − 800 + 32, b1 = 3 + ⌊diff/256⌋, b2 = diff mod 256 (800-5000 mV). */
export function regulatorCommand(millivolts: number): number[] {
  if (millivolts < 800 || millivolts > 5000)
    throw new RangeError(`PPK2 source voltage ${millivolts} mV is outside 800-5000 mV`);
  const diff = Math.round(millivolts) - 800 + 32;
  return [PPK2_COMMAND.regulatorSet, 3 + Math.floor(diff / 256), diff % 256];
}

export function regulatorMillivolts(b1: number, b2: number): number {
  return (b1 - 3) * 256 + b2 + 800 - 32;
}

/** Metadata text (lines `key: value`, then END) → calibration; unknown or `-nan` values keep the defaults. */
export function parseMetadata(text: string): {
  calibration: Ppk2Calibration;
  fields: Record<string, string>;
} {
  const fields: Record<string, string> = {};
  for (const line of text.replace(/END[\s\S]*$/, '').split(/\r?\n/)) {
    const match = /^\s*([^:]+):\s*(.*?)\s*$/.exec(line);
    if (match) fields[(match[1] ?? '').toLowerCase()] = match[2] ?? '';
  }
  const calibration = structuredClone(DEFAULT_CALIBRATION);
  for (const key of Object.keys(calibration) as (keyof Ppk2Calibration)[]) {
    for (let range = 0; range < 5; range++) {
      const value = Number(fields[`${key}${range}`]);
      if (fields[`${key}${range}`] !== undefined && Number.isFinite(value)) calibration[key][range] = value;
    }
  }
  return { calibration, fields };
}

export interface Ppk2Sample {
  adc: number;
  range: number;
  counter: number;
  logic: number;
}

export function splitSample(word: number): Ppk2Sample {
  return {
    adc: word & 0x3fff,
    range: (word >>> 14) & 0x7,
    counter: (word >>> 18) & 0x3f,
    logic: (word >>> 24) & 0xff,
  };
}

export function packSample(sample: Ppk2Sample): number {
  return (
    ((sample.adc & 0x3fff) |
      ((sample.range & 0x7) << 14) |
      ((sample.counter & 0x3f) << 18) |
      ((sample.logic & 0xff) << 24)) >>>
    0
  );
}

/**
 * Current in A for a raw 14-bit ADC value in a range, by Nordic's formula:
 * I₀ = (4·adc − O)·(1.8/163840)/R; I = UG·(I₀·(GS·I₀ + GI) + S·Vdd/1000 + I).
 * Nordic's app then smooths 3 samples after a range change (a display filter); we do not: it
 * moves energy between samples and a measurement must not.
 */
export function currentA(adc: number, range: number, vddMv: number, cal: Ppk2Calibration): number {
  const r = Math.min(range, 4);
  const i0 = (adc * 4 - (cal.o[r] ?? 0)) * (ADC_MULT / (cal.r[r] ?? 1));
  return (
    (cal.ug[r] ?? 1) *
    (i0 * ((cal.gs[r] ?? 1) * i0 + (cal.gi[r] ?? 1)) + ((cal.s[r] ?? 0) * vddMv) / 1000 + (cal.i[r] ?? 0))
  );
}
