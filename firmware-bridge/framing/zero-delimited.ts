// Splits a byte stream into 0x00-delimited COBS packets and checks each one's CRC-16 trailer.
// Bytes before the first delimiter after (re)opening a port are a torn packet and are counted,
// never parsed: a wrong baud rate or line noise shows up as framing errors, not as values.

import { CobsError, cobsDecode, cobsEncode } from './cobs.js';
import { crc16CcittFalse } from './crc16.js';

/** At most this many bytes between delimiters; longer runs are garbage (a wrong baud rate). */
export const MAX_ENCODED_PACKET_BYTES = 1024;

export interface FramingCounters {
  packets: number;
  /** Runs that were not valid COBS, too long, or too short to hold a CRC. */
  framingErrors: number;
  crcErrors: number;
}

export class ZeroDelimitedDeframer {
  private buffer = new Uint8Array(MAX_ENCODED_PACKET_BYTES);
  private length = 0;
  private overflowed = false;
  readonly counters: FramingCounters = { packets: 0, framingErrors: 0, crcErrors: 0 };

  constructor(private readonly onPacket: (payload: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (byte !== 0) {
        if (this.length < this.buffer.length) this.buffer[this.length++] = byte;
        else this.overflowed = true;
        continue;
      }
      this.finishPacket();
    }
  }

  private finishPacket(): void {
    const length = this.length;
    const overflowed = this.overflowed;
    this.length = 0;
    this.overflowed = false;
    if (length === 0) return; // back-to-back delimiters: an idle line, not an error
    if (overflowed) {
      this.counters.framingErrors++;
      return;
    }
    let packet: Uint8Array;
    try {
      packet = cobsDecode(this.buffer.subarray(0, length));
    } catch (error) {
      if (!(error instanceof CobsError)) throw error;
      this.counters.framingErrors++;
      return;
    }
    if (packet.length < 3) {
      this.counters.framingErrors++;
      return;
    }
    const body = packet.length - 2;
    const expected = ((packet[body] as number) | ((packet[body + 1] as number) << 8)) >>> 0;
    if (crc16CcittFalse(packet, 0, body) !== expected) {
      this.counters.crcErrors++;
      return;
    }
    this.counters.packets++;
    this.onPacket(packet.slice(0, body));
  }
}

/** Appends the CRC-16 (little-endian) and COBS-encodes, with the trailing 0x00 delimiter. */
export function frameZeroDelimited(payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(payload.length + 2);
  packet.set(payload);
  const crc = crc16CcittFalse(payload);
  packet[payload.length] = crc & 0xff;
  packet[payload.length + 1] = crc >> 8;
  const encoded = cobsEncode(packet);
  const framed = new Uint8Array(encoded.length + 1);
  framed.set(encoded);
  return framed;
}
