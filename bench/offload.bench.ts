// The device side of offloading under emulated links (issue 16, "Figures"): a real agent
// (`--placement offload`) sends the zoo CNN's input to a real `edgewatt serve` inside a network
// namespace, through tbf bandwidth shaping and the delaying proxy (test/support/link), under the
// `wifi` and `lte` presets. Per link and device sensor: round trip, bytes per request at the
// application layer and on the socket, and the device's energy per offloaded inference — with the
// simulated sensor (an ESTIMATE) and with a replayed MLPerf Tiny power trace (also labelled
// estimated: the trace was recorded elsewhere). Needs root and iproute2.
// Run: npm run bench:offload [-- --rounds n]

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type OffloadFiguresAnswer, startOffloadRig } from '../test/support/link/offload-rig.js';
import { describeLink, LINK_PRESETS, type LinkPreset } from '../test/support/link/presets.js';
import { linkRequirement } from '../test/support/link/requirement.js';
import { tempDir } from '../test/support/stack.js';
import { machineLine } from './machine.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' } } });
const ROUNDS = Number(values.rounds);
const TRACE = new URL(
  '../../shared/reference/mlperf-tiny-v1.0/STMicroelectronics__NUCLEO-U575ZI-Q__ic',
  import.meta.url,
).pathname;

const SENSORS = [
  {
    spec: 'simulated:rpi4',
    label: "simulated:rpi4 (ESTIMATE: the board's wait power over the window plus the agent's CPU; no radio)",
  },
  {
    spec: `replay:rpi4:file=${TRACE}`,
    label: 'replay of MLPerf Tiny v1.0 NUCLEO-U575ZI-Q ic trace (estimated: recorded elsewhere)',
  },
] as const;

const requirement = linkRequirement();
if (!requirement.met) {
  console.error(`bench:offload cannot run here: ${requirement.reason}`);
  process.exit(1);
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

interface Row {
  link: string;
  sensor: string;
  figures: OffloadFiguresAnswer[];
}

const rows: Row[] = [];
const dir = tempDir('edgewatt-bench-offload-');
try {
  for (const sensor of SENSORS) {
    const rig = await startOffloadRig({
      preset: LINK_PRESETS.wifi,
      dir: dir.path,
      sensor: sensor.spec,
      device: `bench-${sensor.spec.split(':')[0]}`,
    });
    try {
      for (const preset of [LINK_PRESETS.wifi, LINK_PRESETS.lte] as LinkPreset[]) {
        rig.link.apply(preset);
        await rig.infer(); // the connection and its handshake are not in the figures
        const figures: OffloadFiguresAnswer[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const { status, body } = await rig.infer();
          if (status !== 200) throw new Error(`offload failed (${status}): ${JSON.stringify(body)}`);
          figures.push(body.offload as OffloadFiguresAnswer);
        }
        rows.push({ link: preset.id, sensor: sensor.label, figures });
        console.error(`${preset.id} × ${sensor.spec}: ${ROUNDS} requests`);
      }
    } finally {
      await rig.close();
    }
  }
} finally {
  dir.remove();
}

console.log(
  `bench:offload — ${machineLine()}; measured under load (shared 2-core machine, load average ` +
    `${loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')})`,
);
console.log(
  `${ROUNDS} offloaded inferences per row (zoo cnn-base, one 28×28 float32 input each, keep-alive HTTP)`,
);
for (const preset of [LINK_PRESETS.wifi, LINK_PRESETS.lte]) {
  console.log(`- ${describeLink(preset)}`);
  for (const source of preset.sources) console.log(`    ${source}`);
}
console.log('');
console.log(
  '| link | device sensor | round trip median (p95) | request B: app / socket | answer B: app / socket | device energy per offloaded inference, median (p95) |',
);
console.log('|---|---|---|---|---|---|');
for (const row of rows) {
  const pick = (key: keyof OffloadFiguresAnswer) => row.figures.map((figure) => Number(figure[key]));
  const rtt = pick('roundTripMs');
  const energy = pick('deviceEnergyJ');
  const energyUnit = quantile(energy, 0.5) < 0.1 ? { scale: 1e3, unit: 'mJ' } : { scale: 1, unit: 'J' };
  console.log(
    `| ${row.link} | ${row.sensor} | ${quantile(rtt, 0.5).toFixed(1)} (${quantile(rtt, 0.95).toFixed(1)}) ms | ` +
      `${quantile(pick('requestBytes'), 0.5)} / ${quantile(pick('socketBytesSent'), 0.5)} | ` +
      `${quantile(pick('responseBytes'), 0.5)} / ${quantile(pick('socketBytesReceived'), 0.5)} | ` +
      `${(quantile(energy, 0.5) * energyUnit.scale).toFixed(3)} (${(quantile(energy, 0.95) * energyUnit.scale).toFixed(3)}) ${energyUnit.unit} |`,
  );
}
