// The host side of the reference firmware: bytes in (from the serial port), measured windows out.
// Layers: zero-delimited COBS + CRC-16 frames → packets → power samples and window marks →
// SampleWindows. Nothing here throws on bad bytes: they are counted (framing, CRC, packet errors).

import { ZeroDelimitedDeframer } from '../../framing/zero-delimited.js';
import { type MeasuredWindow, SampleWindows } from '../sample-windows.js';
import { decodePacket, type HelloPacket, PacketError } from './packets.js';

export interface EwfwCounters {
  packets: number;
  framingErrors: number;
  crcErrors: number;
  packetErrors: number;
  /** Packets lost between firmware and host (gaps in the packet sequence number). */
  lostPackets: number;
  /** Samples the firmware reported it could not send (its own buffer overflowed). */
  firmwareDroppedSamples: number;
}

export class EwfwMonitor {
  private readonly deframer = new ZeroDelimitedDeframer((packet) => this.onPacket(packet));
  private windows: SampleWindows | null = null;
  private lastSeq: number | null = null;
  private packetErrors = 0;
  private lostPackets = 0;
  private firmwareDroppedSamples = 0;
  hello: HelloPacket | null = null;
  /** Times the firmware's sample indices started over (a reboot, a reset by the DTR line). */
  restarts = 0;
  /** Counters of the streams before the last restart. */
  private readonly carried = { samples: 0, missingSamples: 0, incompleteWindows: 0, markErrors: 0 };

  constructor(private readonly onWindow: (window: MeasuredWindow, hello: HelloPacket) => void) {}

  push(chunk: Uint8Array): void {
    this.deframer.push(chunk);
  }

  get counters(): EwfwCounters & {
    samples: number;
    missingSamples: number;
    incompleteWindows: number;
    markErrors: number;
  } {
    const w = this.windows?.counters;
    return {
      ...this.deframer.counters,
      packetErrors: this.packetErrors,
      lostPackets: this.lostPackets,
      firmwareDroppedSamples: this.firmwareDroppedSamples,
      samples: this.carried.samples + (w?.samples ?? 0),
      missingSamples: this.carried.missingSamples + (w?.missingSamples ?? 0),
      incompleteWindows: this.carried.incompleteWindows + (w?.incompleteWindows ?? 0),
      markErrors: this.carried.markErrors + (w?.markErrors ?? 0),
    };
  }

  private startStream(hello: HelloPacket): void {
    const old = this.windows?.counters;
    if (old !== undefined) {
      this.carried.samples += old.samples;
      this.carried.missingSamples += old.missingSamples;
      this.carried.incompleteWindows += old.incompleteWindows;
      this.carried.markErrors += old.markErrors;
    }
    this.hello = hello;
    this.windows = new SampleWindows(hello.sampleRateHz, (window) => this.onWindow(window, hello));
  }

  private onPacket(bytes: Uint8Array): void {
    let packet: ReturnType<typeof decodePacket>;
    try {
      packet = decodePacket(bytes);
    } catch (error) {
      if (!(error instanceof PacketError)) throw error;
      this.packetErrors++;
      return;
    }
    if (this.lastSeq !== null) this.lostPackets += (packet.seq - this.lastSeq - 1 + 0x10000) & 0xffff;
    this.lastSeq = packet.seq;
    switch (packet.type) {
      case 'hello':
        // Repeated once a second so a host that connects late learns the rate. Packet seq 0 is a
        // boot; a new rate or sensor is a new stream too.
        if (
          this.hello === null ||
          packet.seq === 0 ||
          this.hello.sampleRateHz !== packet.sampleRateHz ||
          this.hello.sensor !== packet.sensor
        ) {
          if (this.hello !== null) this.restarts++;
          this.startStream(packet);
        }
        return;
      case 'samples': {
        if (this.windows === null || this.hello === null) return; // rate unknown until the first hello
        const expected = this.windows.expectedIndex;
        if (expected !== null && packet.firstIndex < expected) {
          // The firmware never sends a sample twice: indices going back mean it rebooted (and its
          // boot hello was lost). Start over rather than call the new samples duplicates.
          this.restarts++;
          this.startStream(this.hello);
        }
        const powerW = new Float64Array(packet.busMv.length);
        for (let i = 0; i < powerW.length; i++) {
          powerW[i] = ((packet.busMv[i] as number) / 1000) * ((packet.currentUa[i] as number) / 1e6);
        }
        this.windows.samples(packet.firstIndex, powerW);
        return;
      }
      case 'mark':
        this.windows?.mark(packet.index, packet.level);
        return;
      case 'stats':
        this.firmwareDroppedSamples = packet.samplesDropped;
        return;
    }
  }
}
