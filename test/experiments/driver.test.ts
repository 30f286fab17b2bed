import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AssignmentPort,
  type BoardPort,
  ExperimentDriver,
  scheduleOfStored,
} from '../../collector/experiments/driver.js';
import { parseExperiment } from '../../collector/experiments/experiment-file.js';
import { planExperiment } from '../../collector/experiments/plan.js';
import type { AssignmentTags } from '../../collector/experiments/ports.js';
import { ExperimentDb } from '../../collector/experiments/state-db.js';
import type { RecordReader, StoredRecord } from '../../collector/store/index.js';
import { recordMatches } from '../../collector/store/index.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const experiment = (extra = '') =>
  parseExperiment(`
id: drive-1
fleet: lab
devices: [pi-1, pi-2]
arms: [{ id: dense, model: ${A} }, { id: pruned, model: ${B}, placement: edge }]
periodS: 600
periods: 4
washoutS: 60
probationS: 5
${extra}
`);

type Request = Parameters<AssignmentPort['publishAssignment']>[0];

class RecordingPort implements AssignmentPort {
  readonly sent: Request[] = [];
  failNext = 0;
  async publishAssignment(request: Request): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('broker away');
    }
    this.sent.push(request);
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ew-exp-'));
  dirs.push(dir);
  return join(dir, 'experiments.sqlite');
}

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);

describe('experiment driver', () => {
  it('assigns each board its scheduled arm once per period, tagged, at the period start and not before', async () => {
    const db = new ExperimentDb(dbPath());
    const stored = db.create(experiment(), ['pi-1', 'pi-2'], T0 - 5000, T0);
    const schedule = scheduleOfStored(stored);
    const port = new RecordingPort();
    let now = T0 - 1;
    const driver = new ExperimentDriver({ db, port, nowMs: () => now });
    await driver.tick();
    expect(port.sent).toEqual([]);
    now = T0;
    await driver.tick();
    await driver.tick();
    expect(port.sent).toHaveLength(2);
    for (const sent of port.sent) {
      const planned = schedule.find((p) => p.device === sent.device && p.period === 0);
      expect(sent.tags).toEqual({ experiment: 'drive-1', arm: planned?.arm, placement: 'edge' });
      expect(sent.modelId).toBe(planned?.arm === 'dense' ? A : B);
      expect(sent.deploymentId).toBe('drive-1.p0');
      expect(sent.probationS).toBe(5);
    }
    now = T0 + 600_000 - 1;
    await driver.tick();
    expect(port.sent).toHaveLength(2);
    now = T0 + 600_000;
    await driver.tick();
    expect(port.sent.map((s) => s.deploymentId)).toEqual([
      'drive-1.p0',
      'drive-1.p0',
      'drive-1.p1',
      'drive-1.p1',
    ]);
    db.close();
  });

  it('resumes after a restart without sending a period again, and retries a failed publish', async () => {
    const path = dbPath();
    const port = new RecordingPort();
    let now = T0 + 1000;
    const first = new ExperimentDb(path);
    first.create(experiment(), ['pi-1', 'pi-2'], T0, T0);
    port.failNext = 1;
    await new ExperimentDriver({ db: first, port, nowMs: () => now }).tick();
    expect(port.sent).toHaveLength(1); // one board's publish failed
    first.close();

    const reopened = new ExperimentDb(path);
    const driver = new ExperimentDriver({ db: reopened, port, nowMs: () => now });
    await driver.tick();
    expect(port.sent).toHaveLength(2); // the failed one, retried; the other not resent
    expect(new Set(port.sent.map((s) => s.device))).toEqual(new Set(['pi-1', 'pi-2']));
    now = T0 + 4 * 600_000;
    await driver.tick();
    expect(reopened.get('drive-1')?.state).toBe('finished');
    expect(reopened.get('drive-1')?.endedAtMs).toBe(T0 + 4 * 600_000);
    expect(reopened.assignments('drive-1')).toHaveLength(2);
    reopened.close();
  });

  it('sends nothing for a stopped experiment', async () => {
    const db = new ExperimentDb(dbPath());
    db.create(experiment(), ['pi-1', 'pi-2'], T0, T0);
    db.end('drive-1', 'stopped', T0 + 10, 'by hand');
    const port = new RecordingPort();
    await new ExperimentDriver({ db, port, nowMs: () => T0 + 1000 }).tick();
    expect(port.sent).toEqual([]);
    expect(db.get('drive-1')?.reason).toBe('by hand');
    db.close();
  });

  it('stops an arm that crosses a guardrail: its later periods run the first arm', async () => {
    const db = new ExperimentDb(dbPath());
    const stored = db.create(experiment('guardrails: { maxEnergyJ: 0.08 }'), ['pi-1', 'pi-2'], T0, T0);
    const schedule = scheduleOfStored(stored);
    // Records so far: the pruned arm draws 0.1 J per inference, beyond the 0.08 J limit.
    const records: StoredRecord[] = [];
    for (const p of schedule.filter((x) => x.period === 0)) {
      for (let t = p.washoutEndMs; t < p.endMs; t += 10_000) {
        records.push({
          fleet: 'lab',
          device: p.device,
          seq: records.length,
          startUs: t * 1000,
          durationUs: 40_000,
          energyJ: p.arm === 'pruned' ? 0.1 : 0.05,
          energyUncertaintyJ: 0.001,
          baselineW: 0.5,
          sampleCount: 10,
          provenance: 'measured',
          sensor: 'ina219',
          modelId: p.arm === 'pruned' ? B : A,
          variant: p.arm,
          backend: 'cpu',
          batchSize: 1,
          inputBytes: 1,
          outputBytes: 1,
          correct: null,
          experiment: 'drive-1',
          arm: p.arm,
        });
      }
    }
    const reader = {
      async *readRecords(filter = {}) {
        for (const r of records) if (recordMatches(r, filter)) yield r;
      },
    } as unknown as RecordReader;
    const port = new RecordingPort();
    let now = T0 + 600_000;
    const driver = new ExperimentDriver({ db, port, reader, nowMs: () => now, guardrailEveryMs: 0 });
    await driver.tick();
    const stops = db.armStops('drive-1');
    // (seed 1: one board starts on pruned)
    expect(schedule.filter((p) => p.period === 0).map((p) => p.arm)).toContain('pruned');
    expect(stops.map((s) => s.arm)).toEqual(['pruned']);
    expect(stops[0]?.reason).toMatch(/energy 0\.100 J > 0\.08 J/);
    for (now = T0 + 600_000; now < T0 + 2_400_000; now += 600_000) await driver.tick();
    expect(port.sent.length).toBe(6);
    expect(port.sent.every((s) => s.tags?.arm === 'dense' && s.modelId === A)).toBe(true);
    db.close();
  });

  it('refuses a second experiment with the same id', () => {
    const db = new ExperimentDb(':memory:');
    db.create(experiment(), ['pi-1'], T0, T0);
    expect(() => db.create(experiment(), ['pi-1'], T0, T0)).toThrow(/exists already/);
    expect(() => db.require('nope')).toThrow(/no experiment "nope".*known: drive-1/);
  });
});

/** A fleet's other side, in memory: retained placement commands, the registry's models, current models. */
class FakeBoards implements BoardPort {
  readonly placements = new Map<string, Uint8Array | null>();
  readonly published: { device: string; payload: string | null }[] = [];
  registry = new Set([A, B]);
  failPlacement = 0;
  constructor(private readonly current: Record<string, { modelId: string; tags?: AssignmentTags } | null>) {}
  async currentModel(_fleet: string, device: string) {
    return this.current[device] ?? null;
  }
  retainedPlacement(_fleet: string, device: string) {
    return this.placements.get(device) ?? null;
  }
  async publishPlacement(_fleet: string, device: string, payload: Uint8Array | null) {
    if (this.failPlacement > 0) {
      this.failPlacement--;
      throw new Error('broker away');
    }
    this.placements.set(device, payload);
    this.published.push({ device, payload: payload === null ? null : new TextDecoder().decode(payload) });
    return true;
  }
  async registryHas(modelId: string) {
    return this.registry.has(modelId);
  }
}

describe('experiment driver: placement commands and putting boards back', () => {
  const C = 'c'.repeat(64);

  it('sends the arm’s placement with each assignment; at the finish each board gets its model and placement back once', async () => {
    const db = new ExperimentDb(dbPath());
    const stored = db.create(
      parseExperiment(`
id: drive-1
fleet: lab
devices: [pi-1, pi-2]
arms: [{ id: dense, model: ${A} }, { id: off, model: ${B}, placement: offload, server: "http://serve.lan:8790" }]
periodS: 600
periods: 2
washoutS: 60
probationS: 5
seed: 4
`),
      ['pi-1', 'pi-2'],
      T0,
      T0,
    );
    const port = new RecordingPort();
    const boards = new FakeBoards({
      'pi-1': { modelId: C, tags: { experiment: 'old', arm: 'x', placement: 'edge' } },
      'pi-2': null,
    });
    boards.registry.add(C);
    boards.placements.set('pi-1', new TextEncoder().encode('{"v":1,"placement":"edge"}'));
    let now = T0;
    const driver = new ExperimentDriver({ db, port, boards, nowMs: () => now });
    await driver.tick();
    const first = scheduleOfStored(stored).filter((p) => p.period === 0);
    expect(boards.published.map((p) => [p.device, JSON.parse(p.payload ?? 'null').placement])).toEqual(
      first.map((p) => [p.device, p.arm === 'off' ? 'offload' : 'edge']),
    );
    // The old experiment's tags are not kept; the placement tag is.
    expect(db.boardsBefore('drive-1').map((b) => [b.device, b.modelId, b.tagsJson, b.placement])).toEqual([
      ['pi-1', C, '{"placement":"edge"}', '{"v":1,"placement":"edge"}'],
      ['pi-2', null, null, null],
    ]);
    now = T0 + 600_000;
    await driver.tick();
    expect(port.sent).toHaveLength(4);
    // The end: finished at 1,200 s; a failing broker leaves pi-1 for the next tick.
    now = T0 + 1_200_000;
    boards.failPlacement = 1;
    await driver.tick();
    expect(db.get('drive-1')?.state).toBe('finished');
    const restoresOf = () => port.sent.filter((s) => s.deploymentId === 'drive-1.restore');
    await driver.tick();
    expect(db.boardsBefore('drive-1').every((b) => b.restoredAtMs !== null)).toBe(true);
    const lastArmModel = (device: string) =>
      db
        .assignments('drive-1')
        .filter((a) => a.device === device)
        .at(-1)?.modelId;
    // pi-1: back to C with its placement tag; pi-2: its old model unknown, so its last arm's model, untagged.
    const byDevice = new Map(restoresOf().map((s) => [s.device, s]));
    expect(byDevice.get('pi-1')).toMatchObject({ modelId: C, tags: { placement: 'edge' } });
    expect(byDevice.get('pi-2')?.modelId).toBe(lastArmModel('pi-2'));
    expect(byDevice.get('pi-2')?.tags).toBeUndefined();
    expect(new TextDecoder().decode(boards.placements.get('pi-1') ?? new Uint8Array())).toBe(
      '{"v":1,"placement":"edge"}',
    );
    expect(boards.placements.get('pi-2')).toBeNull();
    expect(db.boardsBefore('drive-1').find((b) => b.device === 'pi-2')?.restoreNote).toMatch(
      /^pre-experiment model unknown: kept (a|b){12}, experiment tags cleared; placement command cleared/,
    );
    const sent = port.sent.length;
    await driver.tick();
    expect(port.sent.length).toBe(sent);
    db.close();
  });

  it('a stop without a board port (no deployment key) restores nothing and sends no placement', async () => {
    const db = new ExperimentDb(dbPath());
    db.create(experiment(), ['pi-1'], T0, T0);
    const port = new RecordingPort();
    const driver = new ExperimentDriver({ db, port, nowMs: () => T0 });
    await driver.tick();
    db.end('drive-1', 'stopped', T0 + 1, null);
    await driver.tick();
    expect(port.sent).toHaveLength(1);
    expect(db.boardsBefore('drive-1')).toEqual([]);
    db.close();
  });

  it.each(['crossover', 'parallel'] as const)(
    'publishes, in a %s, the arm the plan schedules for every board and period (one schedule builder)',
    async (design) => {
      const file = parseExperiment(`
id: agree-1
fleet: lab
devices: [pi-3, pi-1, pi-2, pi-4]
design: ${design}
arms: [{ id: dense, model: ${A} }, { id: pruned, model: ${B} }, { id: tiny, model: ${'c'.repeat(64)} }]
periodS: 600
periods: 5
washoutS: 60
warmupS: 30
seed: 11
power: { periodSdRel: 0.03, boardSdRel: 0.1 }
`);
      const plan = await planExperiment(file, null, T0);
      const db = new ExperimentDb(dbPath());
      const stored = db.create(file, plan.devices, T0 - 5000, T0);
      expect(scheduleOfStored(stored)).toEqual(plan.schedule);
      const port = new RecordingPort();
      let now = T0;
      const driver = new ExperimentDriver({ db, port, nowMs: () => now });
      for (let period = 0; period < file.periods; period++) {
        now = T0 + period * 600_000 + 1;
        await driver.tick();
      }
      const published = port.sent.map((r) => `${r.device} ${r.deploymentId} ${r.tags?.arm}`).sort();
      const planned = plan.schedule.map((p) => `${p.device} agree-1.p${p.period} ${p.arm}`).sort();
      expect(published).toEqual(planned);
      // Not trivially equal: the crossover's boards run the arms in different orders.
      if (design === 'crossover')
        expect(new Set(plan.schedule.filter((p) => p.period === 0).map((p) => p.arm)).size).toBeGreaterThan(
          1,
        );
      db.close();
    },
  );
});
