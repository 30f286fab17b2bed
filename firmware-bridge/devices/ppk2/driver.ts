// Drives a PPK2 the way Nordic's app does: ask for the metadata (calibration) first, then source
// meter mode at the board's voltage (or ampere meter mode, the board powered elsewhere), power the
// board, start sampling; every byte after that is a sample for the decoder.

import { EdgewattError } from '../../../common/errors.js';
import type { MeasuredWindow } from '../sample-windows.js';
import { Ppk2Decoder } from './decoder.js';
import { PPK2_COMMAND, parseMetadata, regulatorCommand } from './protocol.js';

export class Ppk2Error extends EdgewattError {
  override readonly name = 'Ppk2Error';
}

export type Ppk2Mode = 'source' | 'ampere';

export class Ppk2Driver {
  private metadata = '';
  private metadataWaiter: ((text: string) => void) | null = null;
  decoder: Ppk2Decoder | null = null;

  constructor(
    private readonly write: (bytes: Uint8Array) => Promise<void>,
    private readonly onWindow: (window: MeasuredWindow) => void,
    private readonly timeoutMs = 5_000,
  ) {}

  onData(chunk: Uint8Array): void {
    if (this.decoder !== null) {
      this.decoder.push(chunk);
      return;
    }
    this.metadata += Buffer.from(chunk).toString('latin1');
    if (this.metadata.length > 64 * 1024) this.metadata = this.metadata.slice(-4096);
    if (this.metadata.includes('END') && this.metadataWaiter !== null) this.metadataWaiter(this.metadata);
  }

  /** Reads the calibration, sets the mode and voltage, powers the board and starts sampling. */
  async start(mode: Ppk2Mode, vddMv: number): Promise<void> {
    this.decoder = null;
    this.metadata = '';
    const text = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Ppk2Error(
              `the PPK2 sent no metadata (…END) within ${this.timeoutMs} ms of the 0x19 command; check the port`,
            ),
          ),
        this.timeoutMs,
      );
      this.metadataWaiter = (t) => {
        clearTimeout(timer);
        resolve(t);
      };
      this.write(Uint8Array.of(PPK2_COMMAND.getMetadata)).catch(reject);
    });
    this.metadataWaiter = null;
    const { calibration } = parseMetadata(text);
    this.decoder = new Ppk2Decoder(vddMv, this.onWindow, calibration);
    await this.write(Uint8Array.of(PPK2_COMMAND.setPowerMode, mode === 'source' ? 2 : 1));
    await this.write(Uint8Array.from(regulatorCommand(vddMv)));
    if (mode === 'source') await this.write(Uint8Array.of(PPK2_COMMAND.deviceRunningSet, 1));
    await this.write(Uint8Array.of(PPK2_COMMAND.averageStart));
  }

  async stop(): Promise<void> {
    await this.write(Uint8Array.of(PPK2_COMMAND.averageStop));
  }
}
