// Feedback for offloaded inferences, end to end with real processes: an application calls a real
// `edgewatt agent --placement offload --api` process, which sends its inputs to a real `edgewatt
// serve`; the application then gives the truth with POST /v1/feedback for the seq each answer
// named. Records and feedback go through a real Mosquitto to two collectors (SQLite, real
// InfluxDB), and in both stores each label lands on the record whose prediction the client got:
// an answered offload's label on its offload record; after the server dies, a failed request
// falls back to the edge and the answer names the edge record (seq + 1), which gets the label,
// while the failed offload record (no answer) stays unlabelled and the agent refuses feedback for it.
// A label sent with the input is carried by the offload record itself (its `label` field).

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RecordReader, readLabelledOffload, readLabelledRecords } from '../../collector/store/index.js';
import type { OffloadReader } from '../../collector/store/store.js';
import { type MosquittoInfluxStack, startMosquittoStack } from '../support/mosquitto-stack.js';
import { freePort, waitForPort } from '../support/ports.js';
import { type Running, runCli } from '../support/process.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const DEVICE = 'pi-fb-off';
const dir = tempDir('edgewatt-offload-feedback-');

interface InferAnswer {
  seq: number;
  predictedClass: number[];
  placement: 'edge' | 'offload';
  offload?: { seq: number; outcome: string; fallback: string };
}

describeWith(
  ['mosquitto', 'influxd'],
  'feedback for offloaded inferences (real processes, both stores)',
  () => {
    let stack: MosquittoInfluxStack;
    let serve: Running;
    let agent: Running;
    let api: string;

    beforeAll(async () => {
      const [servePort, apiPort] = [await freePort(), await freePort()];
      api = `http://127.0.0.1:${apiPort}`;
      [stack] = await Promise.all([
        startMosquittoStack(dir.path, { influx: true }),
        (async () => {
          serve = runCli([
            'serve',
            ...['--model', ZOO_MODEL, '--listen', `127.0.0.1:${servePort}`, '--insecure-no-auth'],
            ...[
              '--energy',
              'estimated',
              '--server-id',
              'dc-fb',
              '--grid-region',
              'FR',
              '--pue-class',
              'hyperscale',
            ],
          ]);
          await waitForPort(servePort, 'edgewatt serve', 30_000);
        })(),
      ]);
      agent = runCli([
        'agent',
        ...['--broker', stack.mosquitto.url, '--fleet', 'lab', '--device', DEVICE],
        ...['--sensor', 'simulated:rpi4', '--backend', 'wasm', '--model', ZOO_MODEL],
        ...['--inputs', 'none', '--warmup', '0', '--flush-ms', '50', '--state-dir', join(dir.path, 'agent')],
        ...['--api', `127.0.0.1:${apiPort}`],
        ...['--placement', 'offload', '--offload-server', `http://127.0.0.1:${servePort}`],
        ...['--offload-fallback', 'edge', '--offload-timeout-ms', '2000'],
      ]);
      await waitForPort(apiPort, 'agent API', 30_000, agent.child);
    }, 90_000);

    afterAll(async () => {
      if (agent !== undefined && agent.child.exitCode === null) {
        agent.child.kill('SIGTERM');
        await agent.exited;
      }
      if (serve !== undefined && serve.child.exitCode === null) serve.child.kill('SIGKILL');
      await stack?.stop();
      dir.remove();
    });

    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const infer = async (v: number, label?: number): Promise<InferAnswer> => {
      const answer = await post('/v1/infer', {
        input: Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => [v])),
        ...(label === undefined ? {} : { label }),
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body as unknown as InferAnswer;
    };
    const feedback = async (seq: number, label: number) => post('/v1/feedback', { seq, label });

    it('lands each label on the record whose prediction the client got, in SQLite and InfluxDB', async () => {
      const right = await infer(0.1);
      const wrong = await infer(0.7);
      expect([right.placement, wrong.placement]).toEqual(['offload', 'offload']);
      // An offloaded answer names its offload record's seq.
      expect(right.seq).toBe(right.offload?.seq);
      const rightClass = right.predictedClass[0] as number;
      const wrongLabel = ((wrong.predictedClass[0] as number) + 1) % 10;
      expect((await feedback(right.seq, rightClass)).body).toMatchObject({ correct: true });
      expect((await feedback(wrong.seq, wrongLabel)).body).toMatchObject({ correct: false });

      // A label sent with the input travels in the offload record itself (no feedback needed).
      const given = await infer(0.3, 4);
      expect(given.placement).toBe('offload');

      // The server dies: the request fails, the input runs on the edge, the answer is the edge's.
      serve.child.kill('SIGKILL');
      await serve.exited;
      const fellBack = await infer(0.4);
      expect(fellBack.placement).toBe('edge');
      // The kept-alive connection was cut (connection-reset), or a new one refused (unreachable).
      expect(fellBack.offload).toMatchObject({ fallback: 'edge' });
      const failedOutcome = fellBack.offload?.outcome as string;
      expect(['unreachable', 'connection-reset']).toContain(failedOutcome);
      const failedSeq = fellBack.offload?.seq as number;
      expect(fellBack.seq).toBe(failedSeq + 1);
      const edgeClass = fellBack.predictedClass[0] as number;
      expect((await feedback(fellBack.seq, edgeClass)).body).toMatchObject({ correct: true });
      // The failed request gave no answer: nothing to judge, the agent refuses a label for it.
      expect((await feedback(failedSeq, edgeClass)).status).toBe(404);

      await waitFor(
        'records, offload records and feedback in both collectors',
        () =>
          stack.collectors.every(
            (c) => c.stats.feedbacks === 3 && c.stats.records === 1 && c.stats.offloadRecords === 4,
          ),
        20_000,
      );
      await stack.influx.drained();
      const offloadRows = async (store: OffloadReader & RecordReader) => {
        const rows: [number, string, number | null, boolean | null][] = [];
        for await (const r of readLabelledOffload(store, store, { device: DEVICE }))
          rows.push([r.seq, r.outcome, r.label ?? null, r.correct]);
        return rows;
      };
      const edgeRows = async (store: RecordReader) => {
        const rows: [number, number | null, boolean | null][] = [];
        for await (const r of readLabelledRecords(store, { device: DEVICE }))
          rows.push([r.seq, r.label, r.correct]);
        return rows;
      };
      for (const store of [stack.sqlite, stack.influx]) {
        expect(await offloadRows(store)).toEqual([
          [right.seq, 'ok', rightClass, true],
          [wrong.seq, 'ok', wrongLabel, false],
          [given.seq, 'ok', 4, given.predictedClass[0] === 4],
          [failedSeq, failedOutcome, null, null],
        ]);
        expect(await edgeRows(store)).toEqual([[fellBack.seq, edgeClass, true]]);
      }
    }, 60_000);
  },
);
