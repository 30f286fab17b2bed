// Reads a meter's mark (meter.ts MeterMark) on the thread that runs the model, right before and
// right after its call, so the energy window is the model call's own and not the hand-off between
// threads: the monotonic clock, plus this process's CPU time (all threads: getrusage) or the RAPL
// counter files the meter names.

import { SysfsAttribute } from '../../common/sysfs.js';
import type { MarkSource, MeterMark } from './meter.js';

export interface MarkReader {
  read(): MeterMark;
  close(): void;
}

export function markReader(source: MarkSource): MarkReader {
  switch (source.kind) {
    case 'clock':
      return { read: () => ({ ns: process.hrtime.bigint(), values: [] }), close: () => undefined };
    case 'process-cpu':
      return {
        read: () => {
          const usage = process.cpuUsage();
          return { ns: process.hrtime.bigint(), values: [usage.user + usage.system] };
        },
        close: () => undefined,
      };
    case 'counters': {
      const attributes = source.paths.map((path) => new SysfsAttribute(path));
      return {
        read: () => {
          const ns = process.hrtime.bigint();
          return { ns, values: attributes.map((attribute) => attribute.readNumber()) };
        },
        close: () => {
          for (const attribute of attributes) attribute.close();
        },
      };
    }
  }
}
