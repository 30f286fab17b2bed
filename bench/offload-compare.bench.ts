// One end-to-end comparison with both placements taken from the store (issue 16, "Figures"): the
// same agent process set-up (zoo CNN, simulated Raspberry Pi 4 sensor, local API) runs N inputs
// on the board, then N offloaded to a real `edgewatt serve` through the emulated Wi-Fi link
// (test/support/link); a collector stores both kinds in SQLite; `edgewatt compare` then reads
// the device's edge energy, its offload energy, bytes and round trip, and the server's energy per
// request from that store, and prints every value with its provenance. Needs root and iproute2.
// Run: npm run bench:offload-compare [-- --inputs n] [--keep <dir>]

import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { startOffloadRig } from '../test/support/link/offload-rig.js';
import { describeLink, LINK_PRESETS } from '../test/support/link/presets.js';
import { linkRequirement } from '../test/support/link/requirement.js';
import { runCli } from '../test/support/process.js';
import { startStack, tempDir, waitFor } from '../test/support/stack.js';
import { machineLine } from './machine.js';

const { values } = parseArgs({
  options: { inputs: { type: 'string', default: '40' }, keep: { type: 'string' } },
});
const INPUTS = Number(values.inputs);
const FLEET = 'bench';
const DEVICE = 'pi4-link';
const LINK = LINK_PRESETS.wifi;

const requirement = linkRequirement();
if (!requirement.met) {
  console.error(`bench:offload-compare cannot run here: ${requirement.reason}`);
  process.exit(1);
}

/** The scenario: everything about the device and the offload path from the store (device.measured). */
const SCENARIO = `# Written by bench/offload-compare.bench.ts: both placements of ${DEVICE} from the store.
name: pi4-offload-measured
samples: 20000
seed: 3
workload: { inferencesPerDay: 20000 }
device:
  profile: rpi4
  region: FR
  measured: { device: ${DEVICE}, model: cnn-base, fleet: ${FLEET} }
  lifetimeYears: { central: 5, low: 3, high: 7 }   # assumption: no source gives a board's life
network: { profile: wifi }
# Region and PUE class: the ones the server states in its answers (FR, hyperscale). Wall power:
# the host model edgewatt serve's ESTIMATE uses (2 CPUs x 10 W, UNSOURCED assumption).
datacenter: { profile: cpu-server, powerW: 20 }
`;

const temp = values.keep === undefined ? tempDir('edgewatt-bench-offload-compare-') : undefined;
const dir = values.keep ?? temp?.path ?? '';
const storePath = join(dir, 'offload.sqlite');
const stack = await startStack(storePath);
const count = (table: string) => {
  const db = new Database(storePath, { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE fleet = ? AND device = ?`).get(FLEET, DEVICE) as {
        n: number;
      }
    ).n;
  } finally {
    db.close();
  }
};
// The load the runs met, said in the header instead of assumed (the machine may be quiet or shared).
const loadBefore = loadavg();
try {
  for (const placement of ['edge', 'offload'] as const) {
    const rig = await startOffloadRig({
      preset: LINK,
      dir,
      device: DEVICE,
      fleet: FLEET,
      broker: stack.broker.url,
      placement,
    });
    try {
      for (let i = 0; i < INPUTS; i++) {
        const { status, body } = await rig.infer();
        if (status !== 200)
          throw new Error(`${placement} inference failed (${status}): ${JSON.stringify(body)}`);
      }
    } finally {
      await rig.close();
    }
    const table = placement === 'edge' ? 'inference' : 'offload';
    await waitFor(`${INPUTS} ${table} records in the store`, () => count(table) >= INPUTS, 60_000);
    console.error(`${placement}: ${count(table)} ${table} records stored`);
  }
} finally {
  await stack.stop();
}
const loadAfter = loadavg();

const scenarioPath = join(dir, 'pi4-offload-measured.yaml');
writeFileSync(scenarioPath, SCENARIO);
const compare = runCli(['compare', '--scenario', scenarioPath, '--store', `sqlite:${storePath}`]);
const { code } = await compare.exited;
console.log(
  `bench:offload-compare — ${machineLine()}; load average (1 min) ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after the runs`,
);
console.log(
  `${INPUTS} inputs on the edge and ${INPUTS} offloaded by ${DEVICE} (simulated:rpi4, ESTIMATE) over ${describeLink(LINK)}`,
);
console.log(`$ edgewatt compare --scenario ${scenarioPath} --store sqlite:${storePath}`);
console.log(compare.stdout().trimEnd());
if (code !== 0) {
  console.error(compare.stderr());
  process.exitCode = 1;
}
temp?.remove();
