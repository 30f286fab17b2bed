import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../collector/experiments/experiment-file.js';
import { formatPlan, PlanError, planExperiment } from '../../collector/experiments/plan.js';
import { defaultFleetSpec, simulateFleet } from '../../collector/experiments/simulate.js';
import { VariabilityEstimator } from '../../collector/experiments/variability.js';
import {
  type RecordFilter,
  type RecordReader,
  recordMatches,
  type StoredRecord,
} from '../../collector/store/index.js';

/** The reading half of a store over records in memory (recordMatches is the filters' reference meaning). */
function memoryReader(records: StoredRecord[], boards: Record<string, string> = {}): RecordReader {
  return {
    async *readRecords(filter: RecordFilter = {}) {
      for (const r of records) if (recordMatches(r, filter)) yield r;
    },
    countRecords: async (filter = {}) => records.filter((r) => recordMatches(r, filter)).length,
    readSummary: async () => [],
    async *readFeedback() {},
    readDevices: async () =>
      Object.entries(boards).map(([device, board]) => ({
        fleet: 'lab',
        device,
        state: 'online',
        statusSeq: 1,
        statusAtUs: 0,
        board,
        sensor: null,
        backend: null,
        modelId: null,
        variant: null,
        agentVersion: null,
      })),
  };
}

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const file = (extra: string) =>
  parseExperiment(`
id: plan-test
fleet: lab
devices: [sim-01, sim-02, sim-03, sim-04, sim-05, sim-06, sim-07, sim-08, sim-09, sim-10]
arms: [{ id: dense, model: ${A} }, { id: pruned, model: ${B} }]
periodS: 600
periods: 4
${extra}
`);

describe('variability from stored records', () => {
  it('recovers the period-to-period SD of a board running one model', () => {
    // 24 h of history per board: one arm, 3 % period noise, 10 % record noise at 0.5/s (300 per 10 min).
    const fleet = simulateFleet(
      defaultFleetSpec({
        arms: [{ id: 'dense', energyJ: 0.05 }],
        periods: 144,
        washoutS: 0,
        warmupS: 0,
        preS: 0,
        seed: 9,
      }),
    );
    const estimator = new VariabilityEstimator(600, 0);
    for (const r of fleet.records) estimator.add(r);
    const v = estimator.result();
    const expected = Math.sqrt(0.03 ** 2 + 0.1 ** 2 / 300);
    expect(v?.periodSdRel).toBeGreaterThan(expected * 0.85);
    expect(v?.periodSdRel).toBeLessThan(expected * 1.15);
    expect(v?.boards).toBe(10);
    expect(v?.boardSdRel).toBeGreaterThan(0.07); // 15 % lognormal spread over 10 boards
  });
});

describe('plan', () => {
  it('uses a stated assumption when the file gives one, and prints schedule and power', async () => {
    const plan = await planExperiment(
      file('power: { periodSdRel: 0.03, interactionSdRel: 0.03, targetEffect: 0.03 }'),
      null,
    );
    expect(plan.power.source).toBe('assumption');
    expect(plan.schedule).toHaveLength(40);
    expect(plan.power.mde).toBeGreaterThan(0.03);
    expect(plan.power.boardsNeeded).toBeGreaterThan(10);
    const text = formatPlan(plan);
    expect(text).toMatch(/minimum detectable effect +\d+\.\d %/);
    expect(text).toContain('stated in the file (an assumption)');
    expect(text).toMatch(/sim-01 +(dense|pruned)\*/);
  });

  it('estimates the variability from the store when the file does not state it', async () => {
    const history = simulateFleet(
      defaultFleetSpec({
        arms: [{ id: 'dense', energyJ: 0.05 }],
        periods: 12,
        washoutS: 0,
        warmupS: 0,
        preS: 0,
      }),
    );
    const plan = await planExperiment(file(''), memoryReader(history.records));
    expect(plan.power.source).toBe('store');
    expect(plan.power.basis?.boards).toBe(10);
    expect(formatPlan(plan)).toMatch(/estimated from the store: \d+ period-long chunks on 10 board/);
  });

  it('says what to give when there is neither', async () => {
    await expect(planExperiment(file(''), memoryReader([]))).rejects.toThrow(PlanError);
    await expect(planExperiment(file(''), null)).rejects.toThrow(/give power\.periodSdRel/);
  });

  it('resolves a selector against the devices the store knows', async () => {
    const text = `
id: sel
fleet: lab
select: { board: rpi4, prefix: pi-, limit: 2 }
arms: [{ id: dense, model: ${A} }, { id: pruned, model: ${B} }]
periodS: 600
periods: 2
power: { periodSdRel: 0.03 }
`;
    const reader = memoryReader([], {
      'pi-c': 'rpi4',
      'pi-a': 'rpi4',
      'pi-b': 'rpi5',
      'x-d': 'rpi4',
      'pi-e': 'rpi4',
    });
    expect((await planExperiment(parseExperiment(text), reader)).devices).toEqual(['pi-a', 'pi-c']);
    await expect(planExperiment(parseExperiment(text.replace('rpi4', 'orin')), reader)).rejects.toThrow(
      /matches none/,
    );
  });
});
