// The simulated sensor's estimate of an offload window (waiting on the network): the wall time is
// the board's too, only the CPU part is stretched by the host-to-board speed factor. Against the
// closed form, and against the inference estimate it replaces (which would stretch the wait).

import { describe, expect, it } from 'vitest';
import { boardById } from '../../protocol/boards/index.js';
import { estimateWindowEnergy } from '../../runtime/estimate.js';

const board = boardById('rpi4');
if (board === undefined) throw new Error('rpi4 board profile missing');
const idle = board.idleW.central;
const load = board.loadW.central;
const speed = board.hostSpeedFactor.central;
const window = (durationS: number, cpuS: number, waiting?: boolean) => ({
  startNs: 0n,
  endNs: BigInt(Math.round(durationS * 1e9)),
  cpuUs: cpuS * 1e6,
  ...(waiting === undefined ? {} : { waiting }),
});

describe('estimateWindowEnergy, waiting windows', () => {
  it('with no CPU: idle power × the wall time, and the baseline is idle power', () => {
    const e = estimateWindowEnergy(board, window(0.1, 0, true));
    expect(e.energyJ).toBeCloseTo(idle * 0.1, 12);
    expect(e.baselineW).toBeCloseTo(idle, 12);
    expect(e.uncertaintyJ).toBeGreaterThan(0);
  });

  it('the CPU part is stretched by the speed factor and adds dynamic power: the closed form', () => {
    const e = estimateWindowEnergy(board, window(0.1, 0.002, true));
    const boardS = 0.1 + 0.002 * (speed - 1);
    const dynamicJ = ((load - idle) / board.cpuCores) * 0.002 * speed;
    expect(e.energyJ).toBeCloseTo(idle * boardS + dynamicJ, 12);
    // energyJ − baselineW × host duration is the dynamic part alone.
    expect(e.energyJ - e.baselineW * 0.1).toBeCloseTo(dynamicJ, 12);
  });

  it('is far below the inference estimate of the same window, which stretches the wait too', () => {
    const waiting = estimateWindowEnergy(board, window(0.1, 0.002, true)).energyJ;
    const asCompute = estimateWindowEnergy(board, window(0.1, 0.002)).energyJ;
    expect(asCompute / waiting).toBeGreaterThan(speed / 2);
  });
});

describe('estimateWindowEnergy, waiting windows on a board whose radio listens', () => {
  it('charges the wall time at the offload-wait power, above idle', () => {
    const esp32 = boardById('esp32');
    if (esp32?.offloadWaitW === undefined) throw new Error('esp32 has no offloadWaitW');
    const e = estimateWindowEnergy(esp32, window(0.1, 0, true));
    expect(e.energyJ).toBeCloseTo(esp32.offloadWaitW.central * 0.1, 12);
    expect(e.energyJ - e.baselineW * 0.1).toBeCloseTo(
      (esp32.offloadWaitW.central - esp32.idleW.central) * 0.1,
      12,
    );
  });
});
