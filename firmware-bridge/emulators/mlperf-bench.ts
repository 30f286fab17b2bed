// An emulated MLPerf Tiny energy bench: an LPM01A and a device under test wired together (the
// DUT's timestamp pin to the LPM01A's D7), each speaking its real protocol on its own serial port
// (pseudo-terminals made by socat in tests). Emulated time runs `--speed` times faster than real
// time, so a valid run (5 windows of at least 10 s) takes seconds. For every infer window it prints
// the true energy on stdout as a JSON line, so a test can hold the bridge to it.
//
//   node --import tsx firmware-bridge/emulators/mlperf-bench.ts --lpm <pty> --dut <pty> [--speed 25]
//     [--infer-ms 40] [--active-mw 45] [--idle-mw 6] [--noise 0.01] [--seed 1]
//     [--drop-sample-every N] [--dut-hang-after-commands N]

import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { parseArgs } from 'node:util';
import { formatDecimalSample } from '../devices/lpm01a/protocol.js';

const { values: args } = parseArgs({
  options: {
    lpm: { type: 'string' },
    dut: { type: 'string' },
    speed: { type: 'string', default: '25' },
    'infer-ms': { type: 'string', default: '40' },
    'active-mw': { type: 'string', default: '45' },
    'idle-mw': { type: 'string', default: '6' },
    noise: { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '1' },
    model: { type: 'string', default: 'kws01' },
    'drop-sample-every': { type: 'string', default: '0' },
    'dut-hang-after-commands': { type: 'string', default: '0' },
    /** energy: timestamps are GPIO edges the LPM01A reports; performance: `m-lap-us-<µs>` lines. */
    mode: { type: 'string', default: 'energy' },
  },
});
if (args.lpm === undefined || args.dut === undefined) {
  process.stderr.write('usage: mlperf-bench --lpm <serial device> --dut <serial device>\n');
  process.exit(2);
}

const speed = Number(args.speed);
const inferTicks = Math.max(1, Math.round(Number(args['infer-ms'])));
const activeW = Number(args['active-mw']) / 1000;
const idleW = Number(args['idle-mw']) / 1000;
const noise = Number(args.noise);
const dropEvery = Number(args['drop-sample-every']);
const hangAfter = Number(args['dut-hang-after-commands']);
let seed = Number(args.seed) >>> 0 || 1;
/** xorshift32 → a normal-ish draw (sum of 4 uniforms, variance-matched): seeded and fast. */
function noiseFactor(): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    sum += (seed >>> 0) / 2 ** 32;
  }
  return 1 + noise * (sum - 2) * Math.sqrt(3);
}

/**
 * A port with an output backlog: a write the pseudo-terminal cannot take now (EAGAIN) waits in
 * memory, and emulated time stops while the backlog is large, as a USB device's buffer would hold
 * off its firmware. Losses are injected on purpose only (--drop-sample-every), never by load.
 */
function open(path: string) {
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  const input = new ReadStream(fd);
  input.setRawMode?.(true);
  let backlog = '';
  const flush = () => {
    while (backlog.length > 0) {
      try {
        const written = writeSync(fd, backlog);
        backlog = backlog.slice(written);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return;
        throw error;
      }
    }
  };
  return {
    fd,
    input,
    write: (text: string) => {
      backlog += text;
      flush();
    },
    flush,
    backlogBytes: () => backlog.length,
  };
}
const lpm = open(args.lpm);
const dut = open(args.dut);

// ---- the LPM01A ----
const FREQ_HZ = 1000; // the bench samples at 1 kHz (freq 1k), as the runner configures it
let acquiring = false;
let powered = false;
let tick = 0; // emulated 1 ms ticks since start of acquisition
let eventNumber = 0;
/** Timestamp edges the LPM01A reports before its next sample. */
let eventPending = 0;

function lpmCommand(line: string): void {
  const command = line.trim();
  if (command === '') return;
  if (command === 'stop') {
    acquiring = false;
    lpm.write('Acquisition completed\r\nPowerShield > ');
    return;
  }
  if (command === 'pwr on nostatus' || command === 'pwr on') powered = true;
  if (command === 'pwr off') powered = false;
  if (command === 'start') {
    if (!powered) {
      lpm.write(`error ${command}\r\nError detail: target is not powered\r\n`);
      return;
    }
    acquiring = true;
    tick = 0;
  }
  const known =
    /^(htc|hrc|pwr (on|off)( nostatus)?|acqtime \S+|trigdelay \S+|trigsrc \S+|eventsrc d7 (fal|ris)|output (energy|current)|format ascii_dec|freq \S+|volt \d+m|start|lcd [12] ".*")$/;
  if (!known.test(command)) {
    lpm.write(`error ${command}\r\nError detail: unknown or unsupported command\r\n`);
    return;
  }
  lpm.write(`ack ${command}\r\nPowerShield > `);
}

// ---- the device under test ----
let dutCommands = 0;
let inputBytes = 0;
let expected = 0;
/** Inferences still to run in the current infer command, and what to print when done. */
let job: {
  warmup: number;
  count: number;
  phase: 'warmup' | 'infer';
  tickInInference: number;
  window: number;
} | null = null;
let windowNumber = 0;
let windowEnergyJ = 0;

function dutCommand(text: string): void {
  const command = text.trim();
  dutCommands++;
  if (hangAfter > 0 && dutCommands > hangAfter) return; // a DUT that stopped answering
  const reply = (...lines: string[]) => dut.write(`${[...lines, 'm-ready'].join('\r\n')}\r\n`);
  const words = command.split(/\s+/);
  if (command === 'name') return void reply('m-name-dut-[edgewatt-emulator]');
  if (command === 'profile')
    return void reply('m-profile-[ULPMark for tinyML Firmware V0.0.1]', `m-model-[${args.model}]`);
  if (words[0] === 'db' && words[1] === 'load') {
    expected = Number(words[2]);
    inputBytes = 0;
    return void reply(`m-[Expecting ${expected} bytes]`);
  }
  if (words[0] === 'db' && words.length === 2) {
    const hex = words[1] ?? '';
    if (hex.length % 2 !== 0) return void reply('e-[Insufficent number of hex digits]');
    inputBytes += hex.length / 2;
    return void reply(...(inputBytes >= expected ? ['m-load-done'] : []));
  }
  if (words[0] === 'infer') {
    const count = Number(words[1]);
    const warmup = words[2] === undefined ? 10 : Number(words[2]);
    dut.write(`m-warmup-start-${warmup}\r\n`);
    job = { warmup, count, phase: 'warmup', tickInInference: 0, window: ++windowNumber };
    if (warmup === 0) startTimed();
    return;
  }
  reply(`e-[Unknown command: ${command}]`);
}

/** Emulated microseconds since the DUT booted. */
let bootTick = 0;
const performanceMode = args.mode === 'performance';

/** Energy mode: the DUT drives its timestamp pin and the LPM01A reports the edge before its next sample. */
function timestamp(): void {
  if (performanceMode) dut.write(`m-lap-us-${bootTick * 1000}\r\n`);
  else eventPending++;
}

function startTimed(): void {
  if (job === null) return;
  dut.write(`m-warmup-done\r\nm-infer-start-${job.count}\r\n`);
  job.phase = 'infer';
  job.tickInInference = 0;
  timestamp();
  windowEnergyJ = 0;
}

/** One emulated millisecond: the power the DUT draws, the LPM01A's sample, then the DUT's next state. */
function step(): void {
  bootTick++;
  const powerW = (job !== null ? activeW : idleW) * noiseFactor();
  const energyJ = powerW / FREQ_HZ;
  if (job?.phase === 'infer') windowEnergyJ += energyJ;
  if (acquiring) {
    for (; eventPending > 0; eventPending--) lpm.write(`event ${++eventNumber} ris\r\n`);
    tick++;
    if (!(dropEvery > 0 && tick % dropEvery === 0)) lpm.write(`${formatDecimalSample(energyJ)}\r\n`);
    if (tick % FREQ_HZ === 0)
      lpm.write(`TimeStamp: ${String(tick / FREQ_HZ).padStart(3, '0')}s 000ms, buff 00%\r\n`);
  }
  if (job === null || ++job.tickInInference < inferTicks) return;
  job.tickInInference = 0;
  if (job.phase === 'warmup') {
    if (--job.warmup <= 0) startTimed();
    return;
  }
  if (--job.count > 0) return;
  const window = job.window;
  job = null;
  timestamp();
  process.stdout.write(`${JSON.stringify({ window, energyJ: windowEnergyJ })}\n`);
  dut.write('m-infer-done\r\nm-results-[0.012,0.953,0.035]\r\nm-ready\r\n');
}

function lines(stream: ReadStream, terminator: string, handle: (line: string) => void): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    let at = buffer.indexOf(terminator);
    while (at >= 0) {
      handle(buffer.slice(0, at).replace(/\r$/, ''));
      buffer = buffer.slice(at + terminator.length);
      at = buffer.indexOf(terminator);
    }
    if (buffer.length > 4096) buffer = '';
  });
}
lines(lpm.input, '\n', lpmCommand);
lines(dut.input, '%', dutCommand);
dut.write(`m-timestamp-mode-${performanceMode ? 'performance' : 'energy'}\r\nm-init-done\r\nm-ready\r\n`);

// Real-time pacing: every 10 ms of wall time, run speed × 10 emulated milliseconds.
const PACE_MS = 10;
let due = performance.now();
const timer = setInterval(() => {
  const now = performance.now();
  lpm.flush();
  dut.flush();
  if (lpm.backlogBytes() > 16_384) {
    due = now; // the host is behind: hold emulated time rather than lose samples
    return;
  }
  while (due <= now) {
    for (let i = 0; i < speed * PACE_MS; i++) step();
    due += PACE_MS;
  }
}, PACE_MS);

function shutdown(): void {
  clearInterval(timer);
  lpm.input.destroy();
  dut.input.destroy();
  for (const fd of [lpm.fd, dut.fd]) {
    try {
      closeSync(fd);
    } catch {}
  }
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
