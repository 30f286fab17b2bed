// The packets of edgewatt's reference bridge firmware (firmware/src/packets.h is the other side).
// Each packet is [type u8][packet seq u16][body], little-endian, then CRC-16 and COBS framing
// (framing/zero-delimited.ts). Samples carry the index of their first sample, so a lost packet
// shows up as a gap in sample indices that no window may be integrated across.

export const PACKET_TYPE = { hello: 0x01, samples: 0x02, mark: 0x03, stats: 0x04 } as const;
export const SAMPLE_BYTES = 6; // bus mV u16 + current µA i32
export const FIRMWARE_PROTOCOL_VERSION = 1;

export interface HelloPacket {
  type: 'hello';
  seq: number;
  protocolVersion: number;
  sampleRateHz: number;
  /** The power monitor's own relative accuracy (e.g. 0.01 for ±1 %), reported as uncertainty. */
  accuracy: number;
  sensor: string;
}

export interface SamplesPacket {
  type: 'samples';
  seq: number;
  firstIndex: number;
  /** Device clock (µs, wraps at 2^32) of the first sample. */
  firstTimeUs: number;
  busMv: Uint16Array;
  currentUa: Int32Array;
}

/** The inference-window pin changed level at sample `index` (1: a window begins, 0: it ends). */
export interface MarkPacket {
  type: 'mark';
  seq: number;
  index: number;
  level: 0 | 1;
  timeUs: number;
}

export interface StatsPacket {
  type: 'stats';
  seq: number;
  samplesTaken: number;
  /** Samples the firmware itself could not send (its buffer was full). */
  samplesDropped: number;
  /** Samples whose I2C read failed (the firmware repeated the previous reading). */
  readFailures: number;
}

export type FirmwarePacket = HelloPacket | SamplesPacket | MarkPacket | StatsPacket;

export class PacketError extends Error {
  override readonly name = 'PacketError';
}

export function decodePacket(bytes: Uint8Array): FirmwarePacket {
  if (bytes.length < 3) throw new PacketError(`a packet of ${bytes.length} bytes has no header (3 bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint8(0);
  const seq = view.getUint16(1, true);
  const need = (n: number, what: string) => {
    if (bytes.length < n) throw new PacketError(`${what} packet of ${bytes.length} bytes, need ${n}`);
  };
  switch (type) {
    case PACKET_TYPE.hello: {
      need(11, 'hello');
      const sensor = new TextDecoder().decode(bytes.subarray(11));
      return {
        type: 'hello',
        seq,
        protocolVersion: view.getUint16(3, true),
        sampleRateHz: view.getUint32(5, true),
        accuracy: view.getUint16(9, true) / 10000,
        sensor,
      };
    }
    case PACKET_TYPE.samples: {
      need(12, 'samples');
      const count = view.getUint8(11);
      need(12 + count * SAMPLE_BYTES, 'samples');
      const busMv = new Uint16Array(count);
      const currentUa = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        busMv[i] = view.getUint16(12 + i * SAMPLE_BYTES, true);
        currentUa[i] = view.getInt32(14 + i * SAMPLE_BYTES, true);
      }
      return {
        type: 'samples',
        seq,
        firstIndex: view.getUint32(3, true),
        firstTimeUs: view.getUint32(7, true),
        busMv,
        currentUa,
      };
    }
    case PACKET_TYPE.mark: {
      need(12, 'mark');
      const level = view.getUint8(7);
      if (level > 1) throw new PacketError(`mark level ${level} is neither 0 nor 1`);
      return {
        type: 'mark',
        seq,
        index: view.getUint32(3, true),
        level: level as 0 | 1,
        timeUs: view.getUint32(8, true),
      };
    }
    case PACKET_TYPE.stats:
      need(15, 'stats');
      return {
        type: 'stats',
        seq,
        samplesTaken: view.getUint32(3, true),
        samplesDropped: view.getUint32(7, true),
        readFailures: view.getUint32(11, true),
      };
    default:
      throw new PacketError(`packet type 0x${type.toString(16).padStart(2, '0')} is unknown`);
  }
}

/** The host-side encoder: used by tests and by the TypeScript emulator to speak the firmware's bytes. */
export function encodePacket(packet: FirmwarePacket): Uint8Array {
  const header = (length: number, type: number) => {
    const bytes = new Uint8Array(length);
    const view = new DataView(bytes.buffer);
    view.setUint8(0, type);
    view.setUint16(1, packet.seq & 0xffff, true);
    return { bytes, view };
  };
  switch (packet.type) {
    case 'hello': {
      const name = new TextEncoder().encode(packet.sensor);
      const { bytes, view } = header(11 + name.length, PACKET_TYPE.hello);
      view.setUint16(3, packet.protocolVersion, true);
      view.setUint32(5, packet.sampleRateHz, true);
      view.setUint16(9, Math.round(packet.accuracy * 10000), true);
      bytes.set(name, 11);
      return bytes;
    }
    case 'samples': {
      const count = packet.busMv.length;
      const { bytes, view } = header(12 + count * SAMPLE_BYTES, PACKET_TYPE.samples);
      view.setUint32(3, packet.firstIndex >>> 0, true);
      view.setUint32(7, packet.firstTimeUs >>> 0, true);
      view.setUint8(11, count);
      for (let i = 0; i < count; i++) {
        view.setUint16(12 + i * SAMPLE_BYTES, packet.busMv[i] as number, true);
        view.setInt32(14 + i * SAMPLE_BYTES, packet.currentUa[i] as number, true);
      }
      return bytes;
    }
    case 'mark': {
      const { bytes, view } = header(12, PACKET_TYPE.mark);
      view.setUint32(3, packet.index >>> 0, true);
      view.setUint8(7, packet.level);
      view.setUint32(8, packet.timeUs >>> 0, true);
      return bytes;
    }
    case 'stats': {
      const { bytes, view } = header(15, PACKET_TYPE.stats);
      view.setUint32(3, packet.samplesTaken >>> 0, true);
      view.setUint32(7, packet.samplesDropped >>> 0, true);
      view.setUint32(11, packet.readFailures >>> 0, true);
      return bytes;
    }
  }
}
