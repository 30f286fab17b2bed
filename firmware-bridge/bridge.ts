// `edgewatt bridge`: a microcontroller joins the fleet as a device. The monitor's driver turns
// serial bytes into measured windows; the adapter turns windows into inference records; the
// agent's spool and publisher carry them to the broker. A window with lost samples is discarded
// and counted (never integrated as if whole); the port is reopened with back-off when unplugged.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgewattError } from '../common/errors.js';
import { logger } from '../common/logger.js';
import { type BridgeModel, windowRecords } from './adapter/window-record.js';
import { EwfwMonitor } from './devices/ewfw/monitor.js';
import { Ppk2Driver, type Ppk2Mode } from './devices/ppk2/driver.js';
import type { MeasuredWindow } from './devices/sample-windows.js';
import { BenchSource } from './mlperf/bench-source.js';
import { MONITOR_KINDS, type MonitorSpec } from './monitor-spec.js';
import { RecordSink, type RecordSinkConfig } from './publish/record-sink.js';
import { ReopeningPort } from './serial/reopening-port.js';

const log = logger('bridge');

export interface BridgeConfig extends Omit<RecordSinkConfig, 'describe'> {
  monitor: MonitorSpec;
  /** Model name as the board reports it (e.g. kws01) or as the operator names it. */
  model: string;
  /** The model artifact flashed on the board: its SHA-256 is the record's modelId. */
  modelFile?: string | undefined;
  /** Inferences the board runs per window (between two edges of its window pin). */
  windowInferences: number;
  board?: string | undefined;
  reconnect?: ReopeningPort['backoff'] | undefined;
  /** The MLPerf Tiny device under test's port (with an lpm01a monitor), `path[@baud]`. */
  dut?: string | undefined;
  /** Target supply voltage the LPM01A sets, mV. */
  voltageMv?: number | undefined;
  /** Where energy-mode runs are written as results folders. */
  resultsDir?: string | undefined;
  /** Energy-mode runs to do (lpm01a); 0 = until stopped. */
  runs?: number | undefined;
  /** PPK2: source meter (it powers the board) or ampere meter (the board is powered elsewhere). */
  ppk2Mode?: Ppk2Mode | undefined;
  /** The monitor's relative accuracy, reported as each record's uncertainty (overrides the default). */
  monitorAccuracy?: number | undefined;
}

/** PPK2 without --monitor-accuracy: an assumption, said so in the log at start. */
export const PPK2_ASSUMED_ACCURACY = 0.1;

export class BridgeConfigError extends EdgewattError {
  override readonly name = 'BridgeConfigError';
}

export interface BridgeCounters {
  windows: number;
  records: number;
  /** Windows dropped because samples inside them were lost. */
  discardedWindows: number;
}

export function bridgeModel(name: string, modelFile: string | undefined): BridgeModel {
  if (modelFile !== undefined) {
    return { modelId: createHash('sha256').update(readFileSync(modelFile)).digest('hex'), variant: name };
  }
  // Without the artifact the id can only name the model: say so once, keep it stable across runs.
  log.warn(
    { model: name },
    "no --model-file: the record's modelId is the SHA-256 of the model name, not of an artifact",
  );
  return { modelId: createHash('sha256').update(`name:${name}`).digest('hex'), variant: name };
}

export class Bridge {
  readonly counters: BridgeCounters = { windows: 0, records: 0, discardedWindows: 0 };
  private port: ReopeningPort | undefined;
  private bench: BenchSource | undefined;
  private ppk2: Ppk2Driver | undefined;
  readonly monitor: EwfwMonitor;
  readonly sink: RecordSink;

  private constructor(readonly config: BridgeConfig) {
    const model = bridgeModel(config.model, config.modelFile);
    this.sink = new RecordSink({
      ...config,
      describe: {
        ...(config.board === undefined ? {} : { board: config.board }),
        sensor: config.monitor.kind,
        backend: 'mcu',
        modelId: model.modelId,
        variant: model.variant,
      },
    });
    this.monitor = new EwfwMonitor((window, hello) =>
      this.publishWindow(window, model, config.windowInferences, hello.accuracy, `ewfw:${hello.sensor}`),
    );
    if (config.monitor.kind === 'ewfw') {
      this.port = new ReopeningPort({
        path: config.monitor.path,
        baudRate: config.monitor.baudRate,
        onData: (chunk) => this.monitor.push(chunk),
        ...(config.reconnect === undefined ? {} : { reconnect: config.reconnect }),
      });
    } else if (config.monitor.kind === 'lpm01a') {
      if (config.dut === undefined) {
        throw new BridgeConfigError(
          '--monitor lpm01a measures an MLPerf Tiny device under test: give its port with --dut <path>[@baud]',
        );
      }
      if (config.monitorAccuracy === undefined) {
        log.warn(
          { accuracy: MONITOR_KINDS.lpm01a.accuracy },
          'LPM01A accuracy not given (--monitor-accuracy): records carry an ASSUMED ±2 % as their uncertainty',
        );
      }
      const at = config.dut.lastIndexOf('@');
      this.bench = new BenchSource({
        monitorPath: config.monitor.path,
        monitorBaud: config.monitor.baudRate,
        dutPath: at < 0 ? config.dut : config.dut.slice(0, at),
        dutBaud: at < 0 ? 9_600 : Number(config.dut.slice(at + 1)),
        voltageMv: config.voltageMv ?? 3_300,
        resultsDir: config.resultsDir ?? join(config.stateDir, 'mlperf'),
        runs: config.runs ?? 0,
        onWindow: (window) => {
          this.counters.windows++;
          this.publish(
            windowRecords(
              {
                endUs: Date.now() * 1000,
                durationS: window.endS - window.startS,
                energyJ: window.energyJ,
                sampleCount: Math.round((window.endS - window.startS) * 1000),
                idleW: null,
                inferences: window.inferences,
                accuracy: config.monitorAccuracy ?? MONITOR_KINDS.lpm01a.accuracy,
                sensor: 'lpm01a',
              },
              model,
            ),
          );
        },
      });
    } else {
      const accuracy = config.monitorAccuracy ?? PPK2_ASSUMED_ACCURACY;
      if (config.monitorAccuracy === undefined) {
        log.warn(
          { accuracy },
          'PPK2 accuracy not given (--monitor-accuracy): records carry an ASSUMED ±10 % as their uncertainty',
        );
      }
      const vddMv = config.voltageMv ?? 3_300;
      const ppk2 = new Ppk2Driver(
        (bytes) => this.requirePort().write(bytes),
        (window) => this.publishWindow(window, model, config.windowInferences, accuracy, 'ppk2'),
      );
      this.ppk2 = ppk2;
      this.port = new ReopeningPort({
        path: config.monitor.path,
        baudRate: config.monitor.baudRate,
        onData: (chunk) => ppk2.onData(chunk),
        // A re-plugged PPK2 starts from scratch: metadata, mode, voltage, sampling.
        onOpen: () => {
          ppk2
            .start(config.ppk2Mode ?? 'source', vddMv)
            .catch((error: unknown) => log.error({ err: error }, 'PPK2 start failed'));
        },
        ...(config.reconnect === undefined ? {} : { reconnect: config.reconnect }),
      });
    }
  }

  private requirePort(): ReopeningPort {
    if (this.port === undefined) throw new BridgeConfigError('no serial port for this monitor');
    return this.port;
  }

  /** A monitor's window as records, or discarded and counted when samples inside it were lost. */
  private publishWindow(
    window: MeasuredWindow,
    model: BridgeModel,
    inferences: number,
    accuracy: number,
    sensor: string,
  ): void {
    this.counters.windows++;
    if (window.missingSamples > 0) {
      this.counters.discardedWindows++;
      log.warn(
        { startIndex: window.startIndex, missingSamples: window.missingSamples },
        'window discarded: samples inside it were lost',
      );
      return;
    }
    this.publish(
      windowRecords(
        {
          endUs: Date.now() * 1000,
          durationS: window.durationS,
          energyJ: window.energyJ,
          sampleCount: window.sampleCount,
          idleW: window.idleW,
          inferences,
          accuracy,
          sensor,
        },
        model,
      ),
    );
  }

  private publish(records: ReturnType<typeof windowRecords>): void {
    for (const record of records) this.sink.add(record);
    this.counters.records += records.length;
  }

  static start(config: BridgeConfig): Bridge {
    const bridge = new Bridge(config);
    bridge.port?.start();
    bridge.bench?.start();
    return bridge;
  }

  get portOpens(): number {
    return this.port?.opens ?? 0;
  }

  /** Resolves when a bounded job is done (lpm01a with --runs n); never for a streaming monitor. */
  finished(): Promise<void> {
    return this.bench?.finished ?? new Promise(() => undefined);
  }

  get benchCounters() {
    return this.bench?.counters;
  }

  async stop(drainTimeoutMs = 10_000) {
    await this.port?.stop();
    await this.bench?.stop();
    const spool = await this.sink.close(drainTimeoutMs);
    const monitor =
      this.ppk2 !== undefined
        ? {
            samples: this.ppk2.decoder?.windows.counters.samples ?? 0,
            lostSamples: this.ppk2.decoder?.lostSamples ?? 0,
          }
        : this.bench !== undefined
          ? this.bench.counters
          : this.monitor.counters;
    log.info({ ...this.counters, monitor, spool }, 'bridge stopped');
    return spool;
  }
}
