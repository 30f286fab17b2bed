// A growable byte buffer that line-protocol points are written into, for one InfluxDB write
// body. The collector renders 100,000+ points a second: building each point as a string and then
// joining and UTF-8-encoding the strings cost more CPU than building them (bench:ingest), so the
// writers copy repeated parts in as bytes (a batch's tags) and write numbers and keys digit by
// digit. The put* methods write without checking room: call reserve() first with a bound.

export class LineBuffer {
  /**
   * The bytes and the write position. Public for the writers compiled from the field table
   * (influx-lines.ts), which store a field's constant key bytes one by one (after reserve(), like
   * the put* methods): a call per key was a tenth of the collector's CPU. Nothing else writes them.
   */
  buffer: Buffer;
  at = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(1024, initialBytes));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.at;
  }

  /** Makes room for `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }

  /** Any text, as UTF-8 (makes its own room). */
  utf8(text: string): void {
    // At most 3 bytes a UTF-16 unit (a surrogate pair, 2 units, is 4 bytes).
    this.reserve(text.length * 3);
    this.at += this.buffer.write(text, this.at, 'utf8');
  }

  /** Bytes (makes its own room). */
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** Text known to be ASCII (keys, numbers), one byte a character. */
  putAscii(text: string): void {
    const b = this.buffer;
    let at = this.at;
    for (let i = 0; i < text.length; i++) b[at++] = text.charCodeAt(i);
    this.at = at;
  }

  putByte(byte: number): void {
    this.buffer[this.at++] = byte;
  }

  /** `${Math.trunc(value)}`, the same characters, without making the string for safe integers. */
  putInt(value: number): void {
    let v = Math.trunc(value);
    if (!(v >= -Number.MAX_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER)) {
      this.putAscii(String(v));
      return;
    }
    if (v < 0) {
      this.buffer[this.at++] = 45; // '-'
      v = -v;
    }
    // Digits in int32 arithmetic (a double's % is a library call): the high part, then the low
    // eight digits zero-padded. Exact: v < 2^53, so v / 1e8 < 2^27.
    if (v < 1e8) {
      this.putDigits(v, 0);
      return;
    }
    const high = Math.floor(v / 1e8);
    this.putDigits(high, 0);
    this.putDigits(v - high * 1e8, 8);
  }

  /** The decimal digits of `v` (0 ≤ v < 1e9), zero-padded to `width`. */
  private putDigits(value: number, width: number): void {
    let v = value | 0;
    let digits = 1;
    for (let power = 10; power <= v; power *= 10) digits++;
    if (digits < width) digits = width;
    const b = this.buffer;
    let at = this.at + digits;
    this.at = at;
    for (let i = 0; i < digits; i++) {
      const q = (v / 10) | 0;
      b[--at] = 48 + v - q * 10;
      v = q;
    }
  }

  /** Forgets what was written past `length` (a point or message that could not be finished). */
  truncate(length: number): void {
    this.at = Math.min(this.at, Math.max(0, length));
  }

  /** The bytes written (a view; the buffer is not written to again by its owner). */
  take(): Buffer {
    return this.buffer.subarray(0, this.at);
  }
}
