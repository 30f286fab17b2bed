// An emulated Nordic PPK2 in source-meter mode powering a board that runs one inference every
// --period-ms for --infer-ms (logic input D0 high meanwhile), speaking the PPK2's bytes on a serial
// device (a socat pseudo-terminal in tests): metadata with a non-default calibration on 0x19,
// then uint32 samples at 100 kS/s with the 6-bit counter. Currents are turned into raw ADC values
// by inverting the calibration formula, so a host that ignores the metadata gets wrong energies.
// Prints each window's true energy (from the unquantised current) as a JSON line on stdout.
//
//   node --import tsx firmware-bridge/emulators/ppk2.ts --port <pty> [--seconds 2] [--drop-every N]

import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { parseArgs } from 'node:util';
import {
  PPK2_COMMAND,
  PPK2_SAMPLE_RATE_HZ,
  type Ppk2Calibration,
  packSample,
  regulatorMillivolts,
} from '../devices/ppk2/protocol.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    seconds: { type: 'string', default: '2' },
    'period-ms': { type: 'string', default: '100' },
    'infer-ms': { type: 'string', default: '30' },
    'idle-ma': { type: 'string', default: '2' },
    'infer-ma': { type: 'string', default: '25' },
    noise: { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '1' },
    'drop-every': { type: 'string', default: '0' },
  },
});
if (args.port === undefined) {
  process.stderr.write('usage: ppk2 --port <serial device>\n');
  process.exit(2);
}

/** The calibration this unit "has": every term away from Nordic's defaults. */
const CAL: Ppk2Calibration = {
  r: [1029.1, 101.2, 10.22, 0.951, 0.0431],
  gs: [0.4, 0.4, 0.45, 0.5, 0.5],
  gi: [0.985, 0.99, 1.012, 0.995, 1.003],
  o: [11.5, 9.2, 14.1, 20.3, 31],
  s: [2e-7, 3e-7, 1e-6, 4e-6, 1e-5],
  i: [1e-7, -2e-7, 3e-6, -1e-6, 5e-6],
  ug: [1, 1.002, 0.997, 1.01, 1],
};
const ADC_MULT = 1.8 / 163_840;
const METADATA = [
  'Calibrated: 1',
  ...(['r', 'gs', 'gi', 'o', 's', 'i', 'ug'] as const).flatMap((k) =>
    CAL[k].map((v, r) => `${k.toUpperCase()}${r}: ${v}`),
  ),
  'HW: 9173',
  'IA: 56',
  'END',
  '',
].join('\n');

const seconds = Number(args.seconds);
const periodSamples = Math.round((Number(args['period-ms']) / 1000) * PPK2_SAMPLE_RATE_HZ);
const inferSamples = Math.round((Number(args['infer-ms']) / 1000) * PPK2_SAMPLE_RATE_HZ);
const offsetSamples = Math.round(periodSamples / 3);
const idleA = Number(args['idle-ma']) / 1000;
const inferA = Number(args['infer-ma']) / 1000;
const noise = Number(args.noise);
const dropEvery = Number(args['drop-every']);
let seed = Number(args.seed) >>> 0 || 1;
function noiseFactor(): number {
  let sum = 0;
  for (let k = 0; k < 4; k++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    sum += (seed >>> 0) / 2 ** 32;
  }
  return 1 + noise * (sum - 2) * Math.sqrt(3);
}

/** The raw 14-bit ADC value and range that the calibration formula turns into `amps`. */
function rawFor(amps: number, vddMv: number): { adc: number; range: number } {
  for (let range = 0; range < 5; range++) {
    const r = range;
    const gs = CAL.gs[r] as number;
    const gi = CAL.gi[r] as number;
    const c = ((CAL.s[r] as number) * vddMv) / 1000 + (CAL.i[r] as number) - amps / (CAL.ug[r] as number);
    const i0 = gs === 0 ? -c / gi : (-gi + Math.sqrt(gi * gi - 4 * gs * c)) / (2 * gs);
    const adc = Math.round((i0 * (CAL.r[r] as number)) / ADC_MULT / 4 + (CAL.o[r] as number) / 4);
    if (adc <= 0x3fff * 0.95) return { adc: Math.max(0, adc), range };
  }
  return { adc: 0x3fff, range: 4 };
}

const fd = openSync(args.port, constants.O_RDWR | constants.O_NOCTTY);
const input = new ReadStream(fd);
input.setRawMode?.(true);
let backlog = Buffer.alloc(0);
function flush(): void {
  while (backlog.length > 0) {
    try {
      const n = writeSync(fd, backlog);
      backlog = backlog.subarray(n);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return;
      throw error;
    }
  }
}
function send(bytes: Uint8Array | string): void {
  backlog = Buffer.concat([backlog, typeof bytes === 'string' ? Buffer.from(bytes) : bytes]);
  flush();
}

let vddMv = 3300;
let running = false;
let sample = 0;
let counter = 0;
let windowNumber = 0;
let windowEnergyJ = 0;
const total = Math.round(seconds * PPK2_SAMPLE_RATE_HZ);

input.on('data', (chunk: Buffer) => {
  for (let k = 0; k < chunk.length; k++) {
    const command = chunk[k];
    if (command === PPK2_COMMAND.getMetadata) send(METADATA);
    else if (command === PPK2_COMMAND.regulatorSet) {
      vddMv = regulatorMillivolts(chunk[k + 1] ?? 0, chunk[k + 2] ?? 0);
      k += 2;
    } else if (command === PPK2_COMMAND.setPowerMode || command === PPK2_COMMAND.deviceRunningSet) k += 1;
    else if (command === PPK2_COMMAND.averageStart) running = true;
    else if (command === PPK2_COMMAND.averageStop) running = false;
  }
});

/** Emits `count` samples (10 µs each). */
function emit(count: number): void {
  const out = Buffer.alloc(count * 4);
  let used = 0;
  for (let k = 0; k < count && sample < total; k++, sample++) {
    const phase = sample - offsetSamples;
    const inWindow = phase >= 0 && phase % periodSamples < inferSamples;
    const amps = (inWindow ? inferA : idleA) * noiseFactor();
    if (inWindow) {
      if (phase % periodSamples === 0) windowEnergyJ = 0;
      windowEnergyJ += (amps * vddMv) / 1000 / PPK2_SAMPLE_RATE_HZ;
      if (phase % periodSamples === inferSamples - 1) {
        process.stdout.write(`${JSON.stringify({ window: windowNumber++, energyJ: windowEnergyJ })}\n`);
      }
    }
    const { adc, range } = rawFor(amps, vddMv);
    const word = packSample({ adc, range, counter, logic: inWindow ? 0x01 : 0x00 });
    counter = (counter + 1) & 0x3f;
    if (dropEvery > 0 && sample % dropEvery === dropEvery - 1) continue; // lost on the way
    out.writeUInt32LE(word, used);
    used += 4;
  }
  send(out.subarray(0, used));
}

const PACE_MS = 10;
let due = performance.now();
const timer = setInterval(() => {
  flush();
  if (!running) {
    due = performance.now();
    return;
  }
  if (backlog.length > 256 * 1024) {
    due = performance.now(); // the host is behind: hold time rather than lose samples
    return;
  }
  const now = performance.now();
  while (due <= now && sample < total) {
    emit((PPK2_SAMPLE_RATE_HZ * PACE_MS) / 1000);
    due += PACE_MS;
  }
  if (sample >= total && backlog.length === 0) shutdown();
}, PACE_MS);

function shutdown(): void {
  clearInterval(timer);
  input.destroy();
  try {
    closeSync(fd);
  } catch {}
  process.exit(0);
}
process.once('SIGTERM', shutdown);
