// The ASCII layers alone, bytes in and values out: the line splitter under every split of a
// serial read, the LPM01A's lines and command/ack exchange, the MLPerf Tiny DUT's replies.

import { describe, expect, it } from 'vitest';
import { Lpm01aDriver } from '../../firmware-bridge/devices/lpm01a/driver.js';
import {
  formatDecimalSample,
  type Lpm01aLine,
  parseDecimalSample,
  parseLine,
} from '../../firmware-bridge/devices/lpm01a/protocol.js';
import { DB_CHUNK_BYTES, DutDriver } from '../../firmware-bridge/devices/mlperf-dut/driver.js';
import { LineSplitter } from '../../firmware-bridge/framing/lines.js';

describe('LineSplitter', () => {
  const stream = Buffer.from(
    'ack htc\r\nPowerShield > 6409-07\r\n\r\nTimeStamp: 001s 000ms, buff 00%\r\nevent 1 ris\n',
  );
  it('gives the same lines however the reads are split', () => {
    const whole: string[] = [];
    new LineSplitter((l) => whole.push(l)).push(stream);
    expect(whole).toEqual([
      'ack htc',
      'PowerShield > 6409-07',
      '',
      'TimeStamp: 001s 000ms, buff 00%',
      'event 1 ris',
    ]);
    for (let size = 1; size < stream.length; size++) {
      const got: string[] = [];
      const splitter = new LineSplitter((l) => got.push(l));
      for (let i = 0; i < stream.length; i += size) splitter.push(stream.subarray(i, i + size));
      expect(got).toEqual(whole);
    }
  });
  it('drops and counts a line longer than the limit, without buffering it', () => {
    const got: string[] = [];
    const splitter = new LineSplitter((l) => got.push(l), 16);
    splitter.push(Buffer.from(`${'x'.repeat(100)}\nok\n`));
    expect(got).toEqual(['ok']);
    expect(splitter.counters.overlong).toBe(1);
  });
});

describe('LPM01A lines', () => {
  it('decodes dddd±ee as the runner does (6409-07 = 6.409e-4) and round-trips the emulator format', () => {
    expect(parseDecimalSample('6409-07')).toBeCloseTo(6.409e-4, 15);
    expect(parseDecimalSample('1234+00')).toBe(1234);
    for (const value of [4.5e-5, 1.8e-6, 9.999e-3, 1e-9]) {
      expect(Math.abs(parseDecimalSample(formatDecimalSample(value)) / value - 1)).toBeLessThan(5e-4);
    }
  });
  it.each([
    [
      'TimeStamp: 012s 000ms, buff 03%',
      { kind: 'timestamp', seconds: 12, milliseconds: 0, bufferPercent: 3 },
    ],
    ['event 7 ris', { kind: 'event', number: 7, edge: 'ris' }],
    ['PowerShield > ack volt 1800m', { kind: 'ack', text: 'volt 1800m' }],
    ['error freq 7k', { kind: 'error', text: 'freq 7k' }],
    ['Error detail: wrong argument', { kind: 'error-detail', text: 'wrong argument' }],
    ['4500-08', { kind: 'samples', valuesJ: [4.5e-5], torn: false }],
    ['4500-0845', { kind: 'samples', valuesJ: [4.5e-5], torn: true }],
    ['Acquisition completed', { kind: 'message', text: 'Acquisition completed' }],
  ] as [string, Lpm01aLine][])('classifies %j', (line, expected) => {
    const parsed = parseLine(line);
    if (parsed.kind === 'samples' && expected.kind === 'samples') {
      expect(parsed.valuesJ[0]).toBeCloseTo(expected.valuesJ[0] as number, 15);
      expect(parsed.torn).toBe(expected.torn);
    } else {
      expect(parsed).toEqual(expected);
    }
  });

  it('resolves a command on its ack, rejects it with the error detail, and counts seconds with gaps', async () => {
    const written: string[] = [];
    const lpm = new Lpm01aDriver(async (text) => {
      written.push(text);
    }, 1_000);
    const ok = lpm.command('volt 1800m');
    lpm.onLine('PowerShield > ack volt 1800m');
    await expect(ok).resolves.toBe('');
    const bad = lpm.command('freq 7k');
    lpm.onLine('error freq 7k');
    lpm.onLine('Error detail: wrong argument');
    await expect(bad).rejects.toThrow('LPM01A refused "freq 7k": wrong argument');
    expect(written).toEqual(['volt 1800m\n', 'freq 7k\n']);
    for (let i = 0; i < 1000; i++) lpm.onLine('4500-08');
    lpm.onLine('TimeStamp: 001s 000ms, buff 00%');
    for (let i = 0; i < 997; i++) lpm.onLine('4500-08');
    lpm.onLine('event 1 ris');
    lpm.onLine('TimeStamp: 002s 000ms, buff 00%');
    expect(lpm.counters).toMatchObject({
      samples: 1997,
      seconds: 2,
      secondsWithGaps: 1,
      missingSamples: 3,
      events: 1,
    });
    expect(lpm.eventSampleIndex).toEqual([1997]);
  });
});

describe('MLPerf Tiny DUT', () => {
  function dut() {
    const written: string[] = [];
    const driver = new DutDriver(async (text) => {
      written.push(text);
    });
    return { driver, written };
  }
  it("collects a command's lines up to m-ready and parses infer results", async () => {
    const { driver } = dut();
    const done = driver.infer(5, 1);
    for (const l of [
      'm-warmup-start-1',
      'm-warmup-done',
      'm-infer-start-5',
      'm-lap-us-1000',
      'm-lap-us-51000',
      'm-infer-done',
      'm-results-[0.012,0.953,0.035]',
      'm-ready',
    ])
      driver.onLine(l);
    await expect(done).resolves.toMatchObject({ results: [0.012, 0.953, 0.035], lapUs: [1000, 51000] });
  });
  it('turns an e-[...] line into an error naming the command', async () => {
    const { driver } = dut();
    const done = driver.send('db zz');
    driver.onLine('e-[Insufficent number of hex digits]');
    driver.onLine('m-ready');
    await expect(done).rejects.toThrow('DUT answered "db zz%" with e-[Insufficent number of hex digits]');
  });
  it(`sends input in db chunks of ${DB_CHUNK_BYTES} bytes that fit the 80-character buffer`, async () => {
    const { driver, written } = dut();
    const bytes = Uint8Array.from({ length: 70 }, (_, i) => i);
    const loading = driver.loadInput(bytes);
    const answer = async (...lines: string[]) => {
      await new Promise((r) => setTimeout(r, 0));
      for (const l of [...lines, 'm-ready']) driver.onLine(l);
    };
    await answer('m-[Expecting 70 bytes]');
    await answer();
    await answer();
    await answer('m-load-done');
    await loading;
    expect(written[0]).toBe('db load 70%');
    expect(written.slice(1).map((w) => w.length)).toEqual([3 + 62 + 1, 3 + 62 + 1, 3 + 16 + 1]);
    expect(
      Buffer.from(
        written
          .slice(1)
          .map((w) => w.slice(3, -1))
          .join(''),
        'hex',
      ),
    ).toEqual(Buffer.from(bytes));
  });
  it('refuses a command longer than the DUT buffer instead of letting the DUT clamp it', async () => {
    await expect(dut().driver.send(`db ${'ab'.repeat(40)}`)).rejects.toThrow(/80-character buffer/);
  });

  it('a boot banner that answers the first name% costs no answer: the late name is taken, the next command gets its own answer', async () => {
    // A DUT that printed its banner only after the handshake began: its m-ready closes name%,
    // whose own answer comes after. Before, the handshake asked again, and every later command
    // got the answer of the one before it (a load that "never said m-load-done").
    const written: string[] = [];
    const driver = new DutDriver(async (text) => {
      written.push(text);
      if (text === 'name%' && written.length === 1)
        setTimeout(() => {
          for (const l of ['m-init-done', 'm-ready']) driver.onLine(l);
          setTimeout(() => {
            for (const l of ['m-name-dut-[emu]', 'm-ready']) driver.onLine(l);
          }, 5);
        }, 5);
      else if (text === 'profile%')
        setTimeout(() => {
          for (const l of ['m-profile-[ULPMark]', 'm-model-[kws01]', 'm-ready']) driver.onLine(l);
        }, 5);
    });
    await expect(driver.handshake(40, 1000)).resolves.toBe('emu');
    expect(written).toEqual(['name%']);
    await expect(driver.profile()).resolves.toEqual({ profile: 'ULPMark', model: 'kws01' });
  });
});
