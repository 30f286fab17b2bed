// The delaying proxy of the emulated links (test/support/link/delay-proxy.ts) as a program, to put
// a real board's offload traffic through the same delays the tests use (docs/offload.md, "Link
// conditions"): run it on a machine between the board and the server and point the agent's
// --offload-server at it. Bandwidth is tc's job on the board (see the docs), not this proxy's.
// Run: npm run link:proxy -- --target <host:port> [--preset wifi|lte] [--listen <host:port>]
//      [--uplink-delay-ms n] [--downlink-delay-ms n] [--jitter-ms n] [--loss p] [--cut p]

import { parseArgs } from 'node:util';
import { type LinkDelays, startDelayProxy } from '../test/support/link/delay-proxy.js';
import { describeLink, LINK_PRESETS, linkPreset } from '../test/support/link/presets.js';

function hostPort(text: string, flag: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(text);
  if (match === null) throw new Error(`${flag}: expected <host>:<port>, got ${JSON.stringify(text)}`);
  return { host: (match[1] ?? '').replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1:0' },
    preset: { type: 'string' },
    'uplink-delay-ms': { type: 'string' },
    'downlink-delay-ms': { type: 'string' },
    'jitter-ms': { type: 'string' },
    loss: { type: 'string' },
    cut: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
if (values.target === undefined) {
  console.error(
    `usage: npm run link:proxy -- --target <host:port> [--preset ${Object.keys(LINK_PRESETS).join('|')}] ` +
      '[--listen <host:port>] [--uplink-delay-ms n] [--downlink-delay-ms n] [--jitter-ms n] [--loss p] [--cut p]',
  );
  process.exit(2);
}
const base: LinkDelays =
  values.preset === undefined ? { uplinkDelayMs: 0, downlinkDelayMs: 0 } : linkPreset(values.preset);
const number = (text: string | undefined, fallback: number | undefined) =>
  text === undefined ? fallback : Number(text);
const delays: LinkDelays = {
  uplinkDelayMs: number(values['uplink-delay-ms'], base.uplinkDelayMs) ?? 0,
  downlinkDelayMs: number(values['downlink-delay-ms'], base.downlinkDelayMs) ?? 0,
  jitterMs: number(values['jitter-ms'], base.jitterMs),
  lossProbability: number(values.loss, base.lossProbability),
  cutProbability: number(values.cut, base.cutProbability),
};
const listen = hostPort(values.listen, '--listen');
const proxy = await startDelayProxy({
  ...delays,
  target: hostPort(values.target, '--target'),
  listen,
  seed: Number(values.seed),
});
console.log(
  `delaying ${proxy.host}:${proxy.port} → ${values.target}: ` +
    `${delays.uplinkDelayMs}/${delays.downlinkDelayMs} ms one-way up/down, ±${delays.jitterMs ?? 0} ms jitter` +
    `${(delays.lossProbability ?? 0) > 0 ? `, ${delays.lossProbability} of chunks "lost" (200 ms stall each)` : ''}` +
    `${(delays.cutProbability ?? 0) > 0 ? `, ${delays.cutProbability} of chunks cut their connection` : ''}`,
);
if (values.preset !== undefined) {
  const preset = linkPreset(values.preset);
  console.log(`preset ${describeLink(preset)}; shape the bandwidth with tc on the board (docs/offload.md):`);
  for (const source of preset.sources) console.log(`  - ${source}`);
}
const stop = () => {
  const stats = proxy.stats();
  console.log(
    `${stats.connections} connections, ${stats.uplinkBytes} B up, ${stats.downlinkBytes} B down, ` +
      `${stats.lostChunks} chunks stalled, ${stats.cutConnections} cut`,
  );
  void proxy.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
