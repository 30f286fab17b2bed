// Serial monitor discovery from a fake sysfs tree laid out as Linux lays out USB CDC ACM devices.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { findSerialDevices, formatSerialDevices } from '../../firmware-bridge/discover.js';

const root = mkdtempSync(join(tmpdir(), 'edgewatt-sysfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function usbTty(name: string, usbDevice: string, ids?: { vid: string; pid: string; product?: string }) {
  const usb = join(root, 'sys', 'devices', 'pci0000:00', '0000:00:14.0', 'usb1', usbDevice);
  const iface = join(usb, `${usbDevice}:1.0`);
  mkdirSync(join(iface, 'tty', name), { recursive: true });
  if (ids) {
    writeFileSync(join(usb, 'idVendor'), `${ids.vid}\n`);
    writeFileSync(join(usb, 'idProduct'), `${ids.pid}\n`);
    if (ids.product) writeFileSync(join(usb, 'product'), `${ids.product}\n`);
  }
  symlinkSync(iface, join(iface, 'tty', name, 'device'));
  mkdirSync(join(root, 'sys', 'class', 'tty'), { recursive: true });
  symlinkSync(join(iface, 'tty', name), join(root, 'sys', 'class', 'tty', name));
}

usbTty('ttyACM0', '1-1', { vid: '1915', pid: 'C00A', product: 'PPK2' });
usbTty('ttyACM1', '1-2', { vid: '0483', pid: '5740', product: 'STM32 Virtual ComPort' });
usbTty('ttyUSB0', '1-3', { vid: '10c4', pid: 'ea60', product: 'CP2102' });
mkdirSync(join(root, 'sys', 'class', 'tty', 'tty1'), { recursive: true }); // a console, not USB

it('finds USB serial ports and recognises the monitors by vendor:product', () => {
  const devices = findSerialDevices(root);
  expect(devices.map((d) => [d.port, d.vid, d.pid, d.monitor?.kind])).toEqual([
    ['/dev/ttyACM0', '1915', 'c00a', 'ppk2'],
    ['/dev/ttyACM1', '0483', '5740', 'lpm01a'],
    ['/dev/ttyUSB0', '10c4', 'ea60', undefined],
  ]);
  const text = formatSerialDevices(devices).join('\n');
  expect(text).toContain(
    '/dev/ttyACM0  1915:c00a PPK2 → Nordic Power Profiler Kit II: edgewatt bridge --monitor ppk2:/dev/ttyACM0',
  );
  expect(text).toContain('maybe ST virtual COM port');
});

it('says there are none on a machine without USB serial devices', () => {
  expect(findSerialDevices(join(root, 'nowhere'))).toEqual([]);
  expect(formatSerialDevices([])).toEqual(['serial: no USB serial devices (ttyACM*, ttyUSB*)']);
});
