// `edgewatt bridge` as the bridge integration tests run it: fleet `lab`, model kws01, 100 ms
// flushes, its state in the test's dir, log level info (the tests wait on its log lines).

import { join } from 'node:path';
import { type Running, runCli } from '../support/process.js';
import { waitFor } from '../support/stack.js';

export interface LabBridge {
  broker: string;
  device: string;
  /** `--monitor` value, e.g. `ppk2:/dev/pts/3`. */
  monitor: string;
  /** The test's temp dir: the bridge keeps its state in <dir>/state. */
  dir: string;
  /** Further flags (`--board esp32`, `--dut …`). */
  extra?: readonly string[];
}

export function runLabBridge(bridge: LabBridge): Running {
  return runCli(
    [
      'bridge',
      ...['--broker', bridge.broker, '--fleet', 'lab', '--device', bridge.device],
      ...['--monitor', bridge.monitor, '--model', 'kws01'],
      ...['--state-dir', join(bridge.dir, 'state'), '--flush-ms', '100'],
      ...(bridge.extra ?? []),
    ],
    { EDGEWATT_LOG_LEVEL: 'info' },
  );
}

/** Resolves once the bridge says its serial port is open. */
export function bridgePortOpen(bridge: Running): Promise<void> {
  return waitFor(
    'the bridge to open its port',
    () => /serial port open/.test(bridge.stdout() + bridge.stderr()),
    15_000,
  );
}
