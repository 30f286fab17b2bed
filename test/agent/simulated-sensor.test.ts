import { describe, expect, it } from 'vitest';
import { SimulatedSensor } from '../../agent/sensors/simulated.js';
import { BOARDS, type Board, boardById } from '../../protocol/boards/index.js';
import { triangularSd } from '../../runtime/estimate.js';

const rpi4 = boardById('rpi4');
/** The board runs F times longer than this host (protocol/boards, an UNSOURCED assumption). */
const F = rpi4.hostSpeedFactor.central;

/** A window of `durationS` seconds in which the process used `cpuUs` of CPU time. */
function window(durationS: number, cpuUs: number) {
  const startNs = 1_000_000_000n;
  return { startNs, endNs: startNs + BigInt(Math.round(durationS * 1e9)), cpuUs };
}

/** A made-up board whose load range is `spread` watts either side of the central value. */
function boardWithLoadSpread(spread: number): Board {
  return {
    ...rpi4,
    id: `spread-${spread}`,
    loadW: { central: 6, low: 6 - spread, high: 6 + spread, factor: 'test' },
  };
}

describe('triangularSd', () => {
  it('matches the closed form for low 1, central 2, high 3 (sqrt(1/6))', () => {
    expect(triangularSd({ low: 1, central: 2, high: 3 })).toBeCloseTo(Math.sqrt(1 / 6), 12);
  });

  it('matches the closed form for an asymmetric range (low 0, central 1, high 4)', () => {
    // (0 + 16 + 1 - 0 - 0 - 4) / 18 = 13 / 18
    expect(triangularSd({ low: 0, central: 1, high: 4 })).toBeCloseTo(Math.sqrt(13 / 18), 12);
  });

  it('is zero for a degenerate range', () => {
    expect(triangularSd({ low: 2, central: 2, high: 2 })).toBe(0);
  });

  it('is zero, not NaN, for a degenerate range whose squares do not cancel exactly (0.00264 W)', () => {
    expect(triangularSd({ low: 0.00264, central: 0.00264, high: 0.00264 })).toBe(0);
  });
});

describe('SimulatedSensor.estimate', () => {
  const sensor = new SimulatedSensor(rpi4);

  it('gives exactly idle power × host duration × the speed factor when no CPU time was used', () => {
    const energy = sensor.estimate(window(0.5, 0));
    expect(energy.energyJ).toBeCloseTo(rpi4.idleW.central * 0.5 * F, 12);
    // Per second of host time, so that energy − baseline × (host) duration is the board's above-idle energy.
    expect(energy.baselineW).toBeCloseTo(rpi4.idleW.central * F, 12);
    expect(energy.energyJ - energy.baselineW * 0.5).toBeCloseTo(0, 12);
  });

  it('gives load power × duration at full utilisation (cpuUs = duration × cores)', () => {
    const durationS = 0.25;
    const energy = sensor.estimate(window(durationS, durationS * 1e6 * rpi4.cpuCores));
    expect(energy.energyJ).toBeCloseTo(rpi4.loadW.central * durationS * F, 12);
  });

  it('interpolates linearly between idle and load power at half utilisation', () => {
    const energy = sensor.estimate(window(1, 0.5e6 * rpi4.cpuCores));
    expect(energy.energyJ).toBeCloseTo(((rpi4.idleW.central + rpi4.loadW.central) / 2) * F, 12);
  });

  it('caps utilisation at 1 when the CPU time exceeds duration × cores', () => {
    const full = sensor.estimate(window(1, 1e6 * rpi4.cpuCores));
    const over = sensor.estimate(window(1, 10e6 * rpi4.cpuCores));
    expect(over.energyJ).toBe(full.energyJ);
    expect(over.uncertaintyJ).toBe(full.uncertaintyJ);
  });

  it('scales energy and uncertainty with the duration', () => {
    const short = sensor.estimate(window(0.1, 0.05e6));
    const long = sensor.estimate(window(1, 0.5e6));
    expect(long.energyJ).toBeCloseTo(short.energyJ * 10, 12);
    expect(long.uncertaintyJ).toBeCloseTo(short.uncertaintyJ * 10, 12);
  });

  it('gives zero energy for an empty window instead of dividing by zero', () => {
    const energy = sensor.estimate({ startNs: 5n, endNs: 5n, cpuUs: 100 });
    expect(energy.energyJ).toBe(0);
    expect(Number.isFinite(energy.uncertaintyJ)).toBe(true);
  });

  it('reports a positive uncertainty at idle, partial and full load', () => {
    for (const cpuUs of [0, 0.3e6, 4e6]) {
      expect(sensor.estimate(window(1, cpuUs)).uncertaintyJ).toBeGreaterThan(0);
    }
  });

  it('reports an uncertainty that grows with the width of the board load range', () => {
    const busy = window(1, 1e6 * rpi4.cpuCores);
    const narrow = new SimulatedSensor(boardWithLoadSpread(0.5)).estimate(busy);
    const wide = new SimulatedSensor(boardWithLoadSpread(3)).estimate(busy);
    expect(wide.energyJ).toBeCloseTo(narrow.energyJ, 12);
    expect(wide.uncertaintyJ).toBeGreaterThan(narrow.uncertaintyJ);
  });

  it('combines idle, load, 25 % model-form and speed-factor terms in quadrature', () => {
    const u = 0.5;
    const energy = sensor.estimate(window(1, u * 1e6 * rpi4.cpuCores));
    const dynamicW = (rpi4.loadW.central - rpi4.idleW.central) * u;
    const powerW = rpi4.idleW.central + dynamicW;
    const powerSdW = Math.sqrt(
      (triangularSd(rpi4.idleW) * (1 - u)) ** 2 +
        (triangularSd(rpi4.loadW) * u) ** 2 +
        (dynamicW * 0.25) ** 2,
    );
    const expected = Math.hypot(powerSdW * F, powerW * triangularSd(rpi4.hostSpeedFactor));
    expect(energy.uncertaintyJ).toBeCloseTo(expected, 12);
  });

  it('widens with the speed factor range: the estimate is scaled from host time (issue 13)', () => {
    const busy = window(1, 0.5e6 * rpi4.cpuCores);
    const exact = new SimulatedSensor({
      ...rpi4,
      hostSpeedFactor: { ...rpi4.hostSpeedFactor, low: F, high: F },
    }).estimate(busy);
    const ranged = sensor.estimate(busy);
    expect(ranged.energyJ).toBeCloseTo(exact.energyJ, 12);
    expect(ranged.uncertaintyJ).toBeGreaterThan(exact.uncertaintyJ * 1.5);
  });

  it.each(BOARDS.map((board) => [board.id, board] as const))(
    '%s states its speed factor as a labelled UNSOURCED assumption with a range around it',
    (_id, board) => {
      const f = board.hostSpeedFactor;
      expect(f.low).toBeLessThan(f.central);
      expect(f.high).toBeGreaterThan(f.central);
      expect(f.low).toBeGreaterThanOrEqual(1);
      expect(f.assumption).toMatch(/^UNSOURCED assumption: /);
    },
  );

  it("labels the estimate: provenance 'estimated', no samples", () => {
    const energy = sensor.estimate(window(1, 1000));
    expect(energy.provenance).toBe('estimated');
    expect(energy.sampleCount).toBe(0);
    expect(sensor.provenance).toBe('estimated');
  });

  it("is labelled 'simulated:<board>'", () => {
    expect(sensor.label).toBe('simulated:rpi4');
    expect(new SimulatedSensor(boardById('jetson-orin-nano')).label).toBe('simulated:jetson-orin-nano');
  });

  it.each(BOARDS.map((board) => board.id))(
    'gives finite, non-negative energy and uncertainty for %s at idle, partial and full load',
    (id) => {
      const board = new SimulatedSensor(boardById(id));
      for (const cpuUs of [0, 0.3e6, 8e6]) {
        const { energyJ, uncertaintyJ } = board.estimate(window(1, cpuUs));
        expect(Number.isFinite(energyJ) && energyJ > 0).toBe(true);
        expect(Number.isFinite(uncertaintyJ) && uncertaintyJ >= 0).toBe(true);
      }
    },
  );

  it('estimates an ESP32-class board in milliwatts: light sleep at idle, modem sleep (CPU on) at load', () => {
    const esp32 = new SimulatedSensor(boardById('esp32'));
    const f = boardById('esp32').hostSpeedFactor.central;
    expect(esp32.estimate(window(1, 0)).energyJ).toBeCloseTo(0.8 * 3.3e-3 * f, 12);
    expect(esp32.estimate(window(1, 2e6)).energyJ).toBeCloseTo(10 * 3.3e-3 * f, 12);
  });

  it('returns the same figures through the async PowerSensor interface', async () => {
    await sensor.open();
    const w = window(0.2, 50_000);
    await expect(sensor.energyOf(w)).resolves.toEqual(sensor.estimate(w));
    await sensor.close();
  });
});

describe('SimulatedSensor: the board figures taken once (runtime/estimate.ts windowEstimator)', () => {
  /** The estimate as it was computed per window before, reading the board's ranges each time. */
  function perWindow(board: Board, w: ReturnType<typeof window>) {
    const durationS = Number(w.endNs - w.startNs) / 1e9;
    const utilisation = durationS > 0 ? Math.min(1, w.cpuUs / 1e6 / (durationS * board.cpuCores)) : 0;
    const idleW = board.idleW.central;
    const dynamicW = (board.loadW.central - idleW) * utilisation;
    const powerW = idleW + dynamicW;
    const powerSdW = Math.sqrt(
      (triangularSd(board.idleW) * (1 - utilisation)) ** 2 +
        (triangularSd(board.loadW) * utilisation) ** 2 +
        (dynamicW * 0.25) ** 2,
    );
    const boardS = durationS * board.hostSpeedFactor.central;
    return {
      energyJ: powerW * boardS,
      uncertaintyJ: Math.hypot(powerSdW * boardS, powerW * durationS * triangularSd(board.hostSpeedFactor)),
      baselineW: idleW * board.hostSpeedFactor.central,
    };
  }

  it('gives the same bits as the per-window computation on every board (1,000 windows each)', () => {
    for (const board of BOARDS) {
      const sensor = new SimulatedSensor(board);
      for (let i = 0; i < 1000; i++) {
        const w = window(0.0001 + i * 0.00037, (i * 7919) % 5000);
        const { energyJ, uncertaintyJ, baselineW } = sensor.estimate(w);
        expect({ energyJ, uncertaintyJ, baselineW }).toStrictEqual(perWindow(board, w));
      }
    }
  });
});
