// The serial I/O layer with serialport's own mock binding (@serialport/binding-mock): bytes a
// device "sends" (emitData) reach the decoders through ReopeningPort, and what the drivers write
// is recorded byte for byte. The mock only echoes or records (serialport issue #2734), so the
// device side is played here by hand, one exchange at a time.

import { SerialPortMock } from 'serialport';
import { afterEach, expect, it } from 'vitest';
import { EwfwMonitor } from '../../firmware-bridge/devices/ewfw/monitor.js';
import { encodePacket } from '../../firmware-bridge/devices/ewfw/packets.js';
import { DutDriver } from '../../firmware-bridge/devices/mlperf-dut/driver.js';
import type { MeasuredWindow } from '../../firmware-bridge/devices/sample-windows.js';
import { LineSplitter } from '../../firmware-bridge/framing/lines.js';
import { frameZeroDelimited } from '../../firmware-bridge/framing/zero-delimited.js';
import { ReopeningPort } from '../../firmware-bridge/serial/reopening-port.js';

// serialport's SerialPortMock carries its own copy of @serialport/binding-mock's MockBinding.
const MockBinding = SerialPortMock.binding;
afterEach(() => MockBinding.reset());

function mockPort(path: string, onData: (chunk: Buffer) => void) {
  MockBinding.createPort(path, { echo: false, record: true });
  let mock: SerialPortMock | undefined;
  const port = new ReopeningPort({
    path,
    baudRate: 115_200,
    onData,
    createPort: (settings) => {
      mock = new SerialPortMock(settings);
      return mock;
    },
  });
  port.start();
  return { port, device: () => mock?.port };
}

it("hands a device's framed packets to the decoder and gives back its windows", async () => {
  const windows: MeasuredWindow[] = [];
  const monitor = new EwfwMonitor((w) => windows.push(w));
  const { port, device } = mockPort('/dev/ewfw-mock', (c) => monitor.push(c));
  await expect.poll(() => port.isOpen).toBe(true);
  const packets = [
    encodePacket({
      type: 'hello',
      seq: 0,
      protocolVersion: 1,
      sampleRateHz: 1000,
      accuracy: 0.01,
      sensor: 'mock',
    }),
    encodePacket({ type: 'mark', seq: 1, index: 0, level: 1, timeUs: 0 }),
    encodePacket({
      type: 'samples',
      seq: 2,
      firstIndex: 0,
      firstTimeUs: 0,
      busMv: Uint16Array.from([3300, 3300]),
      currentUa: Int32Array.from([10_000, 10_000]),
    }),
    encodePacket({ type: 'mark', seq: 3, index: 2, level: 0, timeUs: 2000 }),
  ];
  device()?.emitData(Buffer.concat(packets.map(frameZeroDelimited)));
  await expect.poll(() => windows.length).toBe(1);
  expect(windows[0]?.energyJ).toBeCloseTo(2 * 0.033 * 0.001, 12);
  await port.stop();
});

it('writes the DUT commands byte for byte and reads the answers back', async () => {
  let dut: DutDriver | undefined;
  const lines = new LineSplitter((l) => dut?.onLine(l));
  const { port, device } = mockPort('/dev/dut-mock', (c) => lines.push(c));
  dut = new DutDriver((text) => port.write(text));
  await expect.poll(() => port.isOpen).toBe(true);
  const named = dut.name();
  await expect.poll(() => device()?.lastWrite?.toString()).toBe('name%');
  device()?.emitData('m-name-dut-[mock]\r\nm-ready\r\n');
  await expect(named).resolves.toBe('mock');
  await port.stop();
});

it('refuses to write while the port is closed, saying which port', async () => {
  const port = new ReopeningPort({
    path: '/dev/nothing',
    baudRate: 9600,
    onData: () => undefined,
    reconnect: { minMs: 10_000 },
  });
  await expect(port.write('name%')).rejects.toThrow('serial port /dev/nothing is not open');
});
