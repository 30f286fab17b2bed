// `edgewatt demo` (= `npm start`): the whole path on embedded defaults. An in-process MQTT broker
// on 127.0.0.1, the collector with a SQLite file, and agents with different board profiles (and,
// with the model zoo, its pruned variants) running real inferences; every few seconds a table
// read back from the store.

import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { Agent } from '../../agent/agent.js';
import { startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { Collector } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { setLogLevel } from '../../common/logger.js';
import { writeDemoModel } from '../../models/demo/demo-cnn.js';
import { findZoo } from '../../models/zoo/index.js';
import { loadRuntime } from '../../runtime/backend.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { demoSchema } from '../schemas.js';
import { untilSignal } from '../signals.js';
import { formatEnergy, formatEnergyWithUncertainty, renderTable } from '../table.js';

export const DEMO_DEVICES = [
  { device: 'pi4-kitchen', sensor: 'simulated:rpi4' },
  { device: 'pi5-lab', sensor: 'simulated:rpi5' },
  { device: 'orin-gate', sensor: 'simulated:jetson-orin-nano' },
] as const;

export function demoTable(store: SqliteStore): string {
  const rows = store
    .summary()
    .map((row) => [
      row.device,
      row.board ?? '?',
      `${row.variant} ${row.modelId.slice(0, 8)}`,
      row.backend,
      String(row.inferences),
      `${(row.meanDurationUs / 1000).toFixed(2)} ms`,
      formatEnergyWithUncertainty(row.meanEnergyJ, row.meanUncertaintyJ),
      formatEnergy(row.meanMarginalEnergyJ),
      `${row.provenance} (${row.sensor})`,
    ]);
  if (rows.length === 0) return '(no records stored yet)';
  return renderTable(
    [
      'device',
      'board',
      'model',
      'backend',
      'inferences',
      'latency (this host)',
      'energy / inference (±1σ)',
      'above idle',
      'source',
    ],
    rows,
  );
}

export function demoCommand(): Command {
  return addSchemaOptions(new Command('demo'), demoSchema, 'demo')
    .description(
      'run broker, collector and five agents on simulated boards (Pi 4, Pi 5, Jetson Orin Nano, and the ' +
        'pruned model variants on a Pi 4) in this process and print what they measure',
    )
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(demoSchema, 'demo', command);
      // The tables are the demo's output; routine log lines would bury them.
      if (process.env.EDGEWATT_LOG_LEVEL === undefined && command.parent?.opts().logLevel === undefined)
        setLogLevel('warn');
      await runDemo(config, (text) => process.stdout.write(text));
    });
}

export async function runDemo(
  config: ReturnType<typeof demoSchema.parse>,
  print: (text: string) => void,
): Promise<{ stored: number; rejected: number }> {
  const dataDir = resolve(config.dataDir);
  const storePath = join(dataDir, 'demo.sqlite');
  for (const stale of ['demo.sqlite', 'demo.sqlite-wal', 'demo.sqlite-shm', 'agents']) {
    rmSync(join(dataDir, stale), { recursive: true, force: true });
  }
  const runtime = await loadRuntime(config.backend);
  // The committed zoo (trained base + pruned variants, signed) when present; else the untrained model.
  const zoo = findZoo();
  const modelDir = zoo?.base.dir ?? join(dataDir, 'models', 'demo-cnn');
  if (zoo === null && !existsSync(join(modelDir, 'model.json'))) await writeDemoModel(runtime.tf, modelDir);
  const lineup = [
    ...DEMO_DEVICES.map((d) => ({ ...d, model: modelDir })),
    ...(zoo?.variants ?? []).map((v) => ({
      device: `pi4-${v.variant}`,
      sensor: 'simulated:rpi4',
      model: v.dir,
    })),
  ];

  const broker = await startEmbeddedBroker();
  const store = new SqliteStore(storePath);
  const collector = new Collector(store, { broker: broker.url });
  const agents: Agent[] = [];
  const startedMs = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await collector.start();
    for (const { device, sensor, model } of lineup) {
      agents.push(
        await Agent.start({
          broker: broker.url,
          fleet: 'demo',
          device,
          sensor,
          model,
          // Without the zoo, the demo's own untrained model is generated here, unsigned.
          ...(zoo === null ? { allowUnsigned: true } : { trustedKeys: [zoo.publicKeyPath] }),
          rate: config.rate,
          count: 0,
          stateDir: join(dataDir, 'agents', device),
          batchMax: 25,
          flushMs: 1000,
          encoding: config.encoding,
          backend: config.backend,
          batchSize: 1,
        }),
      );
    }
    print(
      `edgewatt demo: broker ${broker.url}, store sqlite:${storePath}, ${agents.length} agents on ${runtime.backend} ` +
        `(${runtime.skipped.map((s) => `${s.backend} unavailable`).join(', ') || 'first choice'}). ` +
        `${config.duration > 0 ? `Stops after ${config.duration} s.` : 'Ctrl-C stops.'}\n` +
        "All agents run on this machine: latency is measured here; energy is ESTIMATED from each board's\n" +
        "power profile and the CPU time each inference used, scaled from this host's latency to the board's by the\n" +
        "board's speed factor (UNSOURCED assumption with a range, in the ±1σ; protocol/boards). There is no power sensor here. " +
        (zoo === null
          ? 'The demo model is untrained (models/zoo not found).\n\n'
          : `Models: ${zoo.base.variant} (trained on Fashion-MNIST) and its pruned variants ` +
            `${zoo.variants.map((v) => v.variant).join(', ')} on the rpi4 profile, from ${zoo.dir}, ` +
            `signatures verified with ${zoo.publicKeyPath}.\n\n`),
    );
    timer = setInterval(() => {
      const elapsedS = ((performance.now() - startedMs) / 1000).toFixed(0);
      print(`[${elapsedS} s]\n${demoTable(store)}\n\n`);
    }, config.interval * 1000);
    await untilSignal(config.duration > 0 ? sleep(config.duration * 1000) : undefined);
  } finally {
    clearInterval(timer);
    await Promise.all(agents.map((agent) => agent.stop(5000)));
    await collector.idle();
  }
  const stored = store.count();
  const rejected = Object.values(collector.stats.rejected).reduce((a, b) => a + b, 0);
  print(`final, after ${((performance.now() - startedMs) / 1000).toFixed(1)} s:\n${demoTable(store)}\n\n`);
  print(
    `${stored} records stored once each (${collector.stats.duplicates} redelivered duplicates ignored, ${rejected} rejected).\n` +
      `Export them: npx edgewatt export --store sqlite:${storePath} --format csv\n`,
  );
  await collector.stop();
  await broker.close();
  return { stored, rejected };
}
