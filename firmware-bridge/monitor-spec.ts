// `--monitor kind:port[@baud]`: which power monitor the bridge reads and where. One table, so
// doctor, the CLI help and the bridge agree on the kinds and their default baud rates.

export const MONITOR_KINDS = {
  /** edgewatt's reference firmware (firmware/): COBS + CRC-16 packets; the USB CDC ignores the rate. */
  ewfw: { baudRate: 921_600, sensor: 'ewfw', accuracy: undefined },
  /** ST X-NUCLEO-LPM01A PowerShield, as the MLCommons runner drives it. */
  // Accuracy: an ASSUMED ±2 % (our reading of ST's PowerShield documentation, UM2269, not checked
  // against it or a unit here); --monitor-accuracy overrides it. Reported as each record's uncertainty.
  lpm01a: { baudRate: 3_686_400, sensor: 'lpm01a', accuracy: 0.02 },
  /** Nordic Power Profiler Kit II. */
  ppk2: { baudRate: 115_200, sensor: 'ppk2', accuracy: undefined },
} as const;

export type MonitorKind = keyof typeof MONITOR_KINDS;

export interface MonitorSpec {
  kind: MonitorKind;
  path: string;
  baudRate: number;
}

export class MonitorSpecError extends Error {
  override readonly name = 'MonitorSpecError';
}

export function parseMonitorSpec(spec: string): MonitorSpec {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  if (!(kind in MONITOR_KINDS)) {
    throw new MonitorSpecError(
      `monitor ${JSON.stringify(spec)}: kind ${JSON.stringify(kind)} is unknown; use one of ${Object.keys(MONITOR_KINDS).join(', ')} as kind:port, e.g. ewfw:/dev/ttyACM0`,
    );
  }
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  const at = rest.lastIndexOf('@');
  const path = at < 0 ? rest : rest.slice(0, at);
  if (path === '')
    throw new MonitorSpecError(`monitor ${JSON.stringify(spec)} names no port; write ${kind}:/dev/ttyACM0`);
  const defaults = MONITOR_KINDS[kind as MonitorKind];
  const baudRate = at < 0 ? defaults.baudRate : Number(rest.slice(at + 1));
  if (!Number.isInteger(baudRate) || baudRate <= 0) {
    throw new MonitorSpecError(
      `monitor ${JSON.stringify(spec)}: baud rate ${JSON.stringify(rest.slice(at + 1))} is not a positive integer`,
    );
  }
  return { kind: kind as MonitorKind, path, baudRate };
}
