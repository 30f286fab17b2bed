// The collector's live experiment page analyses on a worker thread (report/live.ts): on a large
// store (24,000 records, 8 boards) the same analysis on the event loop stalls it for most of its
// run — which would hold up MQTT acknowledgements, ingest and /metrics — while through the worker
// the event loop keeps ticking. The worker's answer is the command's answer (same seed, same numbers).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseExperiment, ExperimentDb, experimentsDbPath } from '../../collector/experiments/index.js';
import { type LiveAnalyses, liveAnalyses } from '../../collector/experiments/report/live.js';
import { defaultFleetSpec, experimentOf, simulateFleet } from '../../collector/experiments/simulate.js';
import { capability, createStore } from '../../collector/store/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';

const REPLICATES = 1999;

describe('live experiment analysis on a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ew-live-'));
  const storePath = join(dir, 'records.sqlite');
  const spec = defaultFleetSpec({ boards: 8, ratePerS: 1, seed: 3 });
  let experimentId = '';
  let live: LiveAnalyses;

  beforeAll(async () => {
    const fleet = simulateFleet(spec);
    expect(fleet.records.length).toBeGreaterThan(20_000);
    const store = new SqliteStore(storePath);
    await store.connect();
    for (const device of fleet.devices) {
      const records = fleet.records
        .filter((r) => r.device === device)
        .map(({ fleet: _f, device: _d, ...r }) => r);
      for (let i = 0; i < records.length; i += 5000)
        await store.writeBatch(fleet.records[0]?.fleet ?? 'lab', device, records.slice(i, i + 5000));
    }
    await store.close();
    const experiment = experimentOf(spec, fleet.devices);
    experimentId = experiment.id;
    const db = new ExperimentDb(experimentsDbPath(dir));
    db.create(experiment, fleet.devices, fleet.startMs, fleet.startMs);
    db.close();
    live = liveAnalyses(dir, `sqlite:${storePath}`, {}, REPLICATES);
  }, 60_000);

  afterAll(async () => {
    await live.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `work` while measuring the event loop's longest gap between 10 ms timer ticks (ms). */
  async function maxLoopDelayMs<T>(work: () => Promise<T>): Promise<{ value: T; maxMs: number }> {
    let last = performance.now();
    let maxMs = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxMs = Math.max(maxMs, now - last - 10);
      last = now;
    }, 10);
    try {
      const value = await work();
      const now = performance.now(); // a stall that lasted until the end counts too
      return { value, maxMs: Math.max(maxMs, now - last - 10) };
    } finally {
      clearInterval(timer);
    }
  }

  it('keeps the event loop free during an analysis that stalls it when run in-thread, and answers the same', async () => {
    // The worker is started (tsx and the analysis modules loaded) by a first request.
    expect(await live.analyse('no-such-experiment')).toBeNull();
    const inThread = await maxLoopDelayMs(async () => {
      const db = new ExperimentDb(experimentsDbPath(dir));
      const store = capability(createStore(`sqlite:${storePath}`, { readOnly: true }), 'readRecords', 'test');
      await store.connect();
      try {
        return await analyseExperiment(db, store, experimentId, { replicates: REPLICATES });
      } finally {
        await store.close();
        db.close();
      }
    });
    const viaWorker = await maxLoopDelayMs(() => live.analyse(experimentId));
    // The control: on the event loop the analysis blocks it for a long stretch.
    expect(inThread.maxMs).toBeGreaterThan(300);
    // Through the worker the loop never waits long (timers, GC and the reply's structured clone only);
    // relative to the in-thread stall only, as a loaded machine lengthens both (no fixed ms).
    expect(viaWorker.maxMs).toBeLessThan(inThread.maxMs / 4);
    const result = viaWorker.value;
    if (result === null) throw new Error('the worker found no experiment');
    expect(result.conclusion).toBe(inThread.value.conclusion);
    expect(result.contrasts).toEqual(inThread.value.contrasts);
    expect(result.perBoardPeriod).toEqual(inThread.value.perBoardPeriod);
  }, 60_000);

  it('shares one run between requests for the same experiment that arrive while it runs', async () => {
    const first = live.analyse(experimentId);
    const second = live.analyse(experimentId);
    expect(second).toBe(first);
    expect((await first)?.experiment.id).toBe(experimentId);
  }, 60_000);
});
