// Splits a byte stream into text lines (\n, with an optional \r before it) for the ASCII
// protocols (the LPM01A, the MLPerf Tiny DUT). A line longer than maxLineBytes is noise (a wrong
// baud rate, a stuck device): it is cut, counted and dropped, never buffered without bound.

export interface LineCounters {
  lines: number;
  /** Lines dropped for being longer than the limit. */
  overlong: number;
}

export class LineSplitter {
  private parts: string[] = [];
  private partBytes = 0;
  private dropping = false;
  private readonly decoder = new TextDecoder('latin1');
  readonly counters: LineCounters = { lines: 0, overlong: 0 };

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes = 4096,
  ) {}

  push(chunk: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== 0x0a) continue;
      this.append(chunk.subarray(start, i));
      this.finish();
      start = i + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  private append(bytes: Uint8Array): void {
    if (this.dropping) return;
    if (this.partBytes + bytes.length > this.maxLineBytes) {
      this.dropping = true;
      this.parts = [];
      this.partBytes = 0;
      return;
    }
    this.parts.push(this.decoder.decode(bytes));
    this.partBytes += bytes.length;
  }

  private finish(): void {
    if (this.dropping) {
      this.dropping = false;
      this.counters.overlong++;
      return;
    }
    let line = this.parts.join('');
    this.parts = [];
    this.partBytes = 0;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    this.counters.lines++;
    this.onLine(line);
  }
}
