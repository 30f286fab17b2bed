// A real agent (`edgewatt agent --placement offload`, simulated sensor) offloads to a real server
// (`edgewatt serve` inside a network namespace) through emulated links, and what its offload
// records say follows the link: the round trip grows by the emulated delays and by the bytes over
// the shaped bandwidth, the bytes the agent counts on its socket are the bytes that crossed the
// link, and the device's energy per offloaded inference grows with the round trip at the board's
// wait power (LTE > Wi-Fi).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { boardById, offloadWaitW } from '../../protocol/boards/index.js';
import { tbfBurstBytes } from '../support/link/netns.js';
import { type OffloadFiguresAnswer, type OffloadRig, startOffloadRig } from '../support/link/offload-rig.js';
import { LINK_PRESETS, type LinkPreset } from '../support/link/presets.js';
import { linkRequirement } from '../support/link/requirement.js';
import { tempDir } from '../support/stack.js';
import { describeIf } from '../support/tools.js';

const ROUNDS = 10;
const WARMUP = 5;
/** No delay and a wide pipe: what the path itself costs (agent, proxy, server, inference). */
const BASE: LinkPreset = {
  id: 'base',
  uplinkMbit: 200,
  downlinkMbit: 200,
  uplinkDelayMs: 0,
  downlinkDelayMs: 0,
  sources: ['test baseline'],
};
/** A narrow uplink and no delay: the request's bytes alone set the extra round trip. */
const NARROW: LinkPreset = { ...BASE, id: 'narrow', uplinkMbit: 0.25 };
/** Ethernet + IPv4 + TCP (timestamps) headers per segment, which tbf counts and the socket does not. */
const HEADER_BYTES = 14 + 20 + 32;
const MSS = 1448;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

describeIf(linkRequirement(), 'offload through emulated links (real agent and server)', () => {
  const dir = tempDir('edgewatt-link-');
  let rig: OffloadRig;
  const runs = new Map<string, { figures: OffloadFiguresAnswer[]; proxyUpBytes: number }>();

  /** Rounds of one request per link, interleaved, so the machine's load drifts over all alike. */
  async function measure(presets: readonly LinkPreset[]): Promise<void> {
    const figures = new Map(presets.map((preset) => [preset.id, [] as OffloadFiguresAnswer[]]));
    const proxyUp = new Map(presets.map((preset) => [preset.id, 0]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const preset of presets) {
        rig.link.apply(preset);
        const before = rig.link.proxy.stats().uplinkBytes;
        const { status, body } = await rig.infer();
        expect(status, JSON.stringify(body)).toBe(200);
        figures.get(preset.id)?.push(body.offload as OffloadFiguresAnswer);
        proxyUp.set(preset.id, (proxyUp.get(preset.id) ?? 0) + rig.link.proxy.stats().uplinkBytes - before);
      }
    }
    for (const preset of presets)
      runs.set(preset.id, {
        figures: figures.get(preset.id) ?? [],
        proxyUpBytes: proxyUp.get(preset.id) ?? 0,
      });
  }

  const of = (id: string) => {
    const run = runs.get(id);
    if (run === undefined) throw new Error(`no run ${id}`);
    const pick = (key: 'roundTripMs' | 'deviceEnergyJ' | 'socketBytesSent') =>
      median(run.figures.map((figure) => figure[key]));
    return {
      ...run,
      rttMs: pick('roundTripMs'),
      energyJ: pick('deviceEnergyJ'),
      sentB: pick('socketBytesSent'),
    };
  };

  beforeAll(async () => {
    rig = await startOffloadRig({ preset: BASE, dir: dir.path });
    // The first requests open the connection and warm the model up on both sides: not compared.
    for (let i = 0; i < WARMUP; i++) await rig.infer();
    await measure([BASE, NARROW, LINK_PRESETS.wifi, LINK_PRESETS.lte]);
  }, 90_000);

  afterAll(async () => {
    await rig?.close();
    dir.remove();
  });

  it('offloads every input, and the bytes the agent counts on its socket are the bytes that crossed the link', () => {
    for (const [id, run] of runs) {
      for (const figure of run.figures) {
        expect(figure.outcome, id).toBe('ok');
        expect(figure.requestBytes, id).toBe(784 * 4);
        expect(figure.socketBytesSent, id).toBeGreaterThan(figure.requestBytes);
        expect(figure.socketBytesReceived, id).toBeGreaterThan(figure.responseBytes);
      }
      const sent = run.figures.reduce((sum, figure) => sum + figure.socketBytesSent, 0);
      expect(run.proxyUpBytes, id).toBe(sent);
    }
    // The link changes how long the bytes take, not which bytes are sent (the request id header
    // grows by a digit now and then).
    expect(Math.abs(of('lte').sentB - of('wifi').sentB)).toBeLessThanOrEqual(2);
  });

  it('adds the emulated round trip: never less than configured, and not much more', () => {
    for (const preset of [LINK_PRESETS.wifi, LINK_PRESETS.lte]) {
      const delayMs = preset.uplinkDelayMs + preset.downlinkDelayMs;
      // Jitter is ± per direction: one request may be up to 2 × jitter quicker than the delays,
      // never quicker than that (the proxy holds every byte at least that long).
      const quickest = Math.min(...of(preset.id).figures.map((figure) => figure.roundTripMs));
      expect(quickest, preset.id).toBeGreaterThanOrEqual(delayMs - 2 * preset.jitterMs);
      // The load on this shared machine only adds time, so the bound above is one-sided; the
      // median stays within the delays plus a generous allowance for that load: 30 ms, plus the
      // base link's own median round trip, which grows with the load (the proxy's timers fire late).
      expect(of(preset.id).rttMs - of('base').rttMs, preset.id).toBeLessThan(
        delayMs + preset.jitterMs + 30 + of('base').rttMs,
      );
    }
    // LTE's round trip is longer than Wi-Fi's by its extra delay (50 ms), at least half of it at the median.
    const extraDelayMs =
      LINK_PRESETS.lte.uplinkDelayMs +
      LINK_PRESETS.lte.downlinkDelayMs -
      LINK_PRESETS.wifi.uplinkDelayMs -
      LINK_PRESETS.wifi.downlinkDelayMs;
    expect(of('lte').rttMs - of('wifi').rttMs).toBeGreaterThan(extraDelayMs / 2);
  });

  it('adds the time the request bytes take on a narrow uplink (tbf), less its bucket', () => {
    // At best (the minimum over the rounds: the load only adds time) against the wide link's best.
    const quickest = (id: string) => Math.min(...of(id).figures.map((figure) => figure.roundTripMs));
    const extraMs = quickest('narrow') - quickest('base');
    const narrow = of('narrow');
    const uplinkMbit = NARROW.uplinkMbit ?? 1;
    const framedB = narrow.sentB + Math.ceil(narrow.sentB / MSS) * HEADER_BYTES;
    // Between requests the bucket refills, so its bytes pass at once: only the rest waits.
    const expectedMs = (((framedB - tbfBurstBytes(uplinkMbit)) * 8) / uplinkMbit / 1e6) * 1e3;
    expect(extraMs).toBeGreaterThan(expectedMs * 0.8);
    expect(extraMs).toBeLessThan(expectedMs * 1.2 + 10);
  });

  it("charges the device's energy per offloaded inference by the round trip: the board's wait power per extra second", () => {
    const all = [...runs.values()].flatMap((run) => run.figures);
    for (const figure of all) expect(figure.energyProvenance).toBe('estimated');
    // Least-squares slope of energy over round trip across all four links (5 ms … 100 ms): the
    // agent's own CPU per request does not depend on the link, so each extra second of link time
    // costs the board's offload-wait power (the simulated Pi 4's idle power).
    const xs = all.map((figure) => figure.roundTripMs / 1e3);
    const ys = all.map((figure) => figure.deviceEnergyJ);
    const mean = (vs: number[]) => vs.reduce((sum, v) => sum + v, 0) / vs.length;
    const [mx, my] = [mean(xs), mean(ys)];
    const slopeW =
      xs.reduce((sum, x, i) => sum + (x - mx) * ((ys[i] ?? 0) - my), 0) /
      xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
    const waitW = offloadWaitW(boardById('rpi4')).central;
    expect(slopeW).toBeGreaterThan(waitW * 0.8);
    expect(slopeW).toBeLessThan(waitW * 1.25);
    expect(mean(of('lte').figures.map((f) => f.deviceEnergyJ))).toBeGreaterThan(
      mean(of('wifi').figures.map((f) => f.deviceEnergyJ)) + waitW * 0.03,
    );
  });
});
