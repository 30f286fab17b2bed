// Which serial devices this machine has and which are power monitors the bridge drives, from the
// USB vendor:product ids in sysfs (no udev needed: `serialport`'s list() shells out to udevadm,
// which minimal images lack). `root` points at a fake tree in tests.

import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MonitorKind } from './monitor-spec.js';

/** USB ids of the monitors we drive. 0483:5740 is ST's virtual COM port: any ST board may show it. */
export const KNOWN_USB_IDS: { vid: string; pid: string; kind: MonitorKind; name: string; sure: boolean }[] = [
  {
    vid: '0483',
    pid: '5740',
    kind: 'lpm01a',
    name: 'ST virtual COM port (X-NUCLEO-LPM01A PowerShield, or another ST board)',
    sure: false,
  },
  { vid: '1915', pid: 'c00a', kind: 'ppk2', name: 'Nordic Power Profiler Kit II', sure: true },
];

export interface SerialDevice {
  port: string;
  vid?: string;
  pid?: string;
  product?: string;
  /** A monitor kind when the USB ids match one; `maybe` when the ids are shared (ST's VCP). */
  monitor?: { kind: MonitorKind; name: string; sure: boolean };
}

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function findSerialDevices(root = '/'): SerialDevice[] {
  const classDir = join(root, 'sys', 'class', 'tty');
  if (!existsSync(classDir)) return [];
  const devices: SerialDevice[] = [];
  for (const name of readdirSync(classDir).sort()) {
    if (!/^tty(ACM|USB)\d+$/.test(name)) continue;
    const device: SerialDevice = { port: `/dev/${name}` };
    let dir: string | undefined;
    try {
      dir = realpathSync(join(classDir, name, 'device'));
    } catch {
      dir = undefined;
    }
    // The tty's device is a USB interface; its vendor and product ids sit on the USB device above it.
    for (let up = 0; dir !== undefined && up < 4; up++, dir = dirname(dir)) {
      const vid = readTrimmed(join(dir, 'idVendor'));
      if (vid === undefined) continue;
      device.vid = vid.toLowerCase();
      device.pid = readTrimmed(join(dir, 'idProduct'))?.toLowerCase() ?? '';
      const product = readTrimmed(join(dir, 'product'));
      if (product !== undefined) device.product = product;
      const known = KNOWN_USB_IDS.find((k) => k.vid === device.vid && k.pid === device.pid);
      if (known !== undefined) device.monitor = { kind: known.kind, name: known.name, sure: known.sure };
      break;
    }
    devices.push(device);
  }
  return devices;
}

export function formatSerialDevices(devices: readonly SerialDevice[]): string[] {
  if (devices.length === 0) return ['serial: no USB serial devices (ttyACM*, ttyUSB*)'];
  return [
    'serial:',
    ...devices.map((d) => {
      const ids = d.vid === undefined ? 'no USB ids' : `${d.vid}:${d.pid}${d.product ? ` ${d.product}` : ''}`;
      const monitor =
        d.monitor === undefined
          ? ''
          : ` → ${d.monitor.sure ? '' : 'maybe '}${d.monitor.name}: edgewatt bridge --monitor ${d.monitor.kind}:${d.port}`;
      return `  ${d.port}  ${ids}${monitor}`;
    }),
  ];
}
