// The server's energy meters with their inputs faked: RAPL counters unwrapped across wrap-around
// with idle power measured between batches; NVML lines parsed and integrated as a step function;
// the host-power ESTIMATE from CPU time with its labelled defaults; the meter choice refusing a
// meter that was asked for and cannot be read; windows computed over the marks the model's thread
// read (RAPL counter files, CPU time).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EstimatedMeter } from '../../serve/energy/estimated.js';
import { HostPowerError, hostPower, SERVER_IDLE_SHARE } from '../../serve/energy/host-power.js';
import { EnergyMeterError, openEnergyMeter } from '../../serve/energy/index.js';
import { markReader } from '../../serve/energy/mark.js';
import { nvmlAvailable, PowerTrace, parseNvmlLine } from '../../serve/energy/nvml.js';
import { RaplCounter, RaplMeter, readableRaplZones } from '../../serve/energy/rapl.js';
import { testTempDir } from '../support/temp.js';

describe('RAPL meter', () => {
  it('unwraps each zone’s counter at its range and sums the zones', () => {
    let readings = [900, 50];
    const counter = new RaplCounter(() => readings, [1000, 1000]);
    expect(counter.readJ()).toBeCloseTo(950e-6, 12);
    readings = [100, 80]; // zone 0 wrapped: 900 → 1000 → 100 is 200 µJ
    expect(counter.readJ()).toBeCloseTo((1100 + 80) * 1e-6, 12);
  });

  it('measures a batch as the counter difference and idle power over the gaps between batches', () => {
    let ns = 0n;
    let uj = 0;
    const meter = new RaplMeter(new RaplCounter(() => [uj], [2 ** 40]), ['package-0'], () => ns);
    // First batch: no idle reading yet.
    let window = meter.begin();
    ns += 100_000_000n; // 0.1 s at 30 W
    uj += 3_000_000;
    let energy = meter.end(window);
    expect(energy.grossJ).toBeCloseTo(3, 9);
    expect(energy.durationS).toBeCloseTo(0.1, 12);
    expect(energy.idleW).toBe(0);
    // 1 s idle at 12 W, then a batch: the idle power is that gap's.
    ns += 1_000_000_000n;
    uj += 12_000_000;
    window = meter.begin();
    ns += 50_000_000n;
    uj += 1_000_000;
    energy = meter.end(window);
    expect(energy.idleW).toBeCloseTo(12, 9);
    expect(energy.grossJ).toBeCloseTo(1, 9);
    // A gap shorter than 100 ms does not move it.
    ns += 10_000_000n;
    uj += 5_000_000;
    window = meter.begin();
    meter.end(window);
    expect(meter.idleW()).toBeCloseTo(12, 9);
    expect(meter.method).toMatch(/RAPL package-0/);
  });

  it('finds no zone on a host without powercap, and names the permission fix when a counter is unreadable', () => {
    const root = testTempDir('edgewatt-rapl-');
    expect(readableRaplZones(root)).toBeNull();
    const zone = join(root, 'sys/class/powercap/intel-rapl:0');
    mkdirSync(zone, { recursive: true });
    writeFileSync(join(zone, 'name'), 'package-0\n');
    writeFileSync(join(zone, 'max_energy_range_uj'), '262143328850\n');
    writeFileSync(join(zone, 'energy_uj'), '12345\n');
    expect(readableRaplZones(root)).toMatchObject({ zones: [{ name: 'package-0', rangeUj: 262143328850 }] });
  });

  it('reads a (fake) powercap tree end to end through --energy auto', async () => {
    const root = testTempDir('edgewatt-rapl-');
    const zone = join(root, 'sys/class/powercap/intel-rapl:0');
    mkdirSync(zone, { recursive: true });
    writeFileSync(join(zone, 'name'), 'package-0\n');
    writeFileSync(join(zone, 'max_energy_range_uj'), '262143328850\n');
    writeFileSync(join(zone, 'energy_uj'), '1000000\n');
    const meter = await openEnergyMeter({ energy: 'auto', root, nvidiaSmi: () => null });
    expect(meter.provenance).toBe('rapl');
    const window = meter.begin();
    writeFileSync(join(zone, 'energy_uj'), '3500000\n');
    expect(meter.end(window).grossJ).toBeCloseTo(2.5, 9);
    await meter.close();
  });

  it('with marks read on the model’s thread, measures exactly between them (counter files, unwrapped in order)', async () => {
    const root = testTempDir('edgewatt-rapl-');
    const zone = join(root, 'sys/class/powercap/intel-rapl:0');
    mkdirSync(zone, { recursive: true });
    writeFileSync(join(zone, 'name'), 'package-0\n');
    writeFileSync(join(zone, 'max_energy_range_uj'), '10000000\n');
    writeFileSync(join(zone, 'energy_uj'), '1000000\n');
    const meter = await openEnergyMeter({ energy: 'rapl', root, nvidiaSmi: () => null });
    expect(meter.markSource).toEqual({ kind: 'counters', paths: [join(zone, 'energy_uj')] });
    const reader = markReader(meter.markSource);
    const window = meter.begin(); // the batch is handed over: 1 J before the model starts
    writeFileSync(join(zone, 'energy_uj'), '2000000\n');
    const start = reader.read();
    writeFileSync(join(zone, 'energy_uj'), '500000\n'); // the counter wrapped: +8.5 J in the call
    const end = reader.read();
    writeFileSync(join(zone, 'energy_uj'), '4500000\n'); // the answer's way back: not the batch's
    const energy = meter.end(window, { start, end });
    expect(energy.grossJ).toBeCloseTo(8.5, 9);
    expect(energy.durationS).toBeCloseTo(Number(end.ns - start.ns) / 1e9, 12);
    reader.close();
    await meter.close();
  });
});

describe('NVML meter', () => {
  it('parses nvidia-smi index,power.draw lines and nothing else', () => {
    expect(parseNvmlLine('0, 45.23')).toEqual({ gpu: 0, powerW: 45.23 });
    expect(parseNvmlLine('1, 301.5 W')).toEqual({ gpu: 1, powerW: 301.5 });
    expect(parseNvmlLine('0, [N/A]')).toBeNull();
    expect(parseNvmlLine('NVIDIA-SMI has failed')).toBeNull();
    expect(nvmlAvailable(() => '0, 61.00\n')).toBe(true);
    expect(nvmlAvailable(() => 'No devices were found\n')).toBe(false);
    expect(nvmlAvailable(() => null)).toBe(false);
  });

  it('sums the GPUs of a tick and integrates power as a step function over a window', () => {
    const trace = new PowerTrace();
    const s = (seconds: number) => BigInt(Math.round(seconds * 1e9));
    trace.add(s(0), 0, 50);
    trace.add(s(0), 1, 50); // tick at 0 s: 100 W
    expect(trace.add(s(0.1), 0, 150)).toEqual({ ns: s(0), powerW: 100 });
    trace.add(s(0.1), 1, 150); // tick at 0.1 s: 300 W (still open)
    // [0.05, 0.15]: 0.05 s at 100 W + 0.05 s at 300 W.
    expect(trace.energyJ(s(0.05), s(0.15))).toBeCloseTo(20, 9);
    // A window inside one tick: the last power × its duration.
    expect(trace.energyJ(s(0.02), s(0.03))).toBeCloseTo(1, 9);
  });
});

describe('host-power ESTIMATE', () => {
  it('defaults to CPUs × 10 W (UNSOURCED) at full load and pwr_server_idle_share of it at idle', () => {
    const host = hostPower(4);
    expect(host.board.loadW).toEqual({ central: 40, low: 20, high: 80 });
    expect(host.board.idleW.central).toBe(40 * SERVER_IDLE_SHARE.central);
    expect(host.source).toContain('UNSOURCED');
    expect(host.source).toContain('pwr_server_idle_share');
    const configured = hostPower(4, { busyW: 300, idleW: 120 });
    expect(configured.board.idleW.central).toBe(120);
    expect(configured.source).toContain('configured');
    expect(() => hostPower(4, { busyW: 100, idleW: 150 })).toThrow(HostPowerError);
  });

  it('charges idle + (full load − idle) × utilisation from the CPU time the window used', async () => {
    let cpuUs = 0;
    const meter = new EstimatedMeter(hostPower(2, { busyW: 100, idleW: 40 }), () => cpuUs);
    const window = meter.begin();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const energyNone = meter.end(window);
    // No CPU time used: idle power only.
    expect(energyNone.grossJ).toBeCloseTo(40 * energyNone.durationS, 6);
    expect(energyNone.uncertaintyJ).toBe(0);
    const busy = meter.begin();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const endWindow = { ...busy };
    cpuUs += 1e6; // far more than the window: utilisation saturates at 1
    const energyFull = meter.end(endWindow);
    expect(energyFull.grossJ).toBeCloseTo(100 * energyFull.durationS, 6);
    expect(energyFull.idleW).toBe(40);
    expect(meter.method).toMatch(/^ESTIMATE/);
  });

  it('with marks, charges the CPU time and the duration between the marks, not the reader it was built with', () => {
    const meter = new EstimatedMeter(hostPower(2, { busyW: 100, idleW: 40 }), () => 5e6);
    expect(meter.markSource).toEqual({ kind: 'process-cpu' });
    const window = meter.begin();
    // 1 s between the marks, 1 CPU-second used: utilisation 0.5 of 2 CPUs.
    const marks = { start: { ns: 10n ** 9n, values: [2e6] }, end: { ns: 2n * 10n ** 9n, values: [3e6] } };
    const energy = meter.end(window, marks);
    expect(energy.durationS).toBe(1);
    expect(energy.grossJ).toBeCloseTo(40 + 60 * 0.5, 6);
  });

  it('auto falls back to the estimate where nothing is readable; an explicit meter that is not refuses to start', async () => {
    const root = testTempDir('edgewatt-nometer-');
    const meter = await openEnergyMeter({ energy: 'auto', root, nvidiaSmi: () => null });
    expect(meter.provenance).toBe('estimated');
    await expect(openEnergyMeter({ energy: 'rapl', root, nvidiaSmi: () => null })).rejects.toBeInstanceOf(
      EnergyMeterError,
    );
    await expect(openEnergyMeter({ energy: 'nvml', root, nvidiaSmi: () => null })).rejects.toThrow(
      /nvidia-smi/,
    );
  });
});
