// The reference firmware's host decoder alone: packets built with the encoder (the firmware's C++
// is held to the same bytes in firmware.int.test.ts) in, measured windows out.

import { describe, expect, it } from 'vitest';
import { EwfwMonitor } from '../../firmware-bridge/devices/ewfw/monitor.js';
import {
  decodePacket,
  encodePacket,
  type FirmwarePacket,
} from '../../firmware-bridge/devices/ewfw/packets.js';
import type { MeasuredWindow } from '../../firmware-bridge/devices/sample-windows.js';
import { frameZeroDelimited } from '../../firmware-bridge/framing/zero-delimited.js';

const RATE_HZ = 1000;

/** A board at 3.3 V drawing idleMa, and inferMa inside [start, end) windows; returns packets. */
function board(samples: number, windows: [number, number][], idleMa = 5, inferMa = 20): FirmwarePacket[] {
  const packets: FirmwarePacket[] = [];
  let seq = 0;
  packets.push({
    type: 'hello',
    seq: seq++,
    protocolVersion: 1,
    sampleRateHz: RATE_HZ,
    accuracy: 0.01,
    sensor: 'ina219',
  });
  const inWindow = (i: number) => windows.some(([a, b]) => i >= a && i < b);
  let batch: number[] = [];
  let first = 0;
  const flush = () => {
    if (batch.length === 0) return;
    packets.push({
      type: 'samples',
      seq: seq++,
      firstIndex: first,
      firstTimeUs: first * 1000,
      busMv: Uint16Array.from(batch.map(() => 3300)),
      currentUa: Int32Array.from(batch),
    });
    batch = [];
  };
  let level = 0;
  for (let i = 0; i < samples; i++) {
    const now = inWindow(i) ? 1 : 0;
    if (now !== level) {
      flush();
      packets.push({ type: 'mark', seq: seq++, index: i, level: now as 0 | 1, timeUs: i * 1000 });
      level = now;
    }
    if (batch.length === 0) first = i;
    batch.push((now ? inferMa : idleMa) * 1000);
    if (batch.length === 32) flush();
  }
  flush();
  return packets;
}

const bytesOf = (packets: FirmwarePacket[]) =>
  Buffer.concat(packets.map((p) => frameZeroDelimited(encodePacket(p))));

function decode(stream: Uint8Array, chunk = stream.length) {
  const windows: MeasuredWindow[] = [];
  const monitor = new EwfwMonitor((w) => windows.push(w));
  for (let i = 0; i < stream.length; i += chunk) monitor.push(stream.subarray(i, i + chunk));
  return { windows, monitor };
}

describe('EwfwMonitor', () => {
  it('round-trips every packet type through the encoder and decoder', () => {
    for (const packet of board(100, [[10, 50]])) expect(decodePacket(encodePacket(packet))).toEqual(packet);
    const stats: FirmwarePacket = {
      type: 'stats',
      seq: 9,
      samplesTaken: 5,
      samplesDropped: 2,
      readFailures: 1,
    };
    expect(decodePacket(encodePacket(stats))).toEqual(stats);
  });

  it('integrates each window exactly: 20 mA at 3.3 V for 50 ms is 3.3 mJ, idle 16.5 mW', () => {
    const { windows, monitor } = decode(
      bytesOf(
        board(1000, [
          [100, 150],
          [400, 450],
        ]),
      ),
    );
    expect(windows).toHaveLength(2);
    for (const w of windows) {
      expect(w.energyJ).toBeCloseTo(0.0033, 12);
      expect(w.durationS).toBeCloseTo(0.05, 12);
      expect(w.sampleCount).toBe(50);
      expect(w.missingSamples).toBe(0);
      expect(w.idleW).toBeCloseTo(0.0165, 12);
    }
    expect(monitor.counters.lostPackets).toBe(0);
  });

  it('decodes the same windows whatever the read sizes (every split of a serial read)', () => {
    const stream = bytesOf(
      board(300, [
        [40, 90],
        [200, 260],
      ]),
    );
    const whole = decode(stream).windows;
    for (const chunk of [1, 2, 5, 13, 100]) expect(decode(stream, chunk).windows).toEqual(whole);
  });

  it('marks a window that lost a packet as incomplete, with the count of missing samples', () => {
    const packets = board(400, [[100, 200]]);
    const lost = packets.findIndex((p) => p.type === 'samples' && p.firstIndex > 100 && p.firstIndex < 180);
    const { windows, monitor } = decode(bytesOf(packets.filter((_, i) => i !== lost)));
    expect(windows).toHaveLength(1);
    expect(windows[0]?.missingSamples).toBe(32);
    expect(monitor.counters.lostPackets).toBe(1);
    expect(monitor.counters.incompleteWindows).toBe(1);
  });

  it('counts garbage between packets and still decodes every window', () => {
    const packets = board(500, [
      [100, 150],
      [300, 350],
    ]);
    const noisy = Buffer.concat(
      packets.map((p, i) =>
        Buffer.concat([
          frameZeroDelimited(encodePacket(p)),
          i % 3 === 0 ? Buffer.from([0x55, 0xaa, 0x13, 0]) : Buffer.alloc(0),
        ]),
      ),
    );
    const { windows, monitor } = decode(noisy);
    expect(windows.map((w) => w.missingSamples)).toEqual([0, 0]);
    expect(monitor.counters.framingErrors + monitor.counters.crcErrors).toBeGreaterThan(0);
  });

  it('starts a new stream when the firmware reboots (indices start over)', () => {
    const first = board(3000, [[100, 150]]);
    const second = board(500, [[100, 150]]).map((p) => ({ ...p, seq: p.seq + first.length }));
    const { windows, monitor } = decode(bytesOf([...first, ...second]));
    expect(windows).toHaveLength(2);
    expect(windows.every((w) => w.missingSamples === 0)).toBe(true);
    expect(monitor.restarts).toBe(1);
  });
});
