// A real agent (`edgewatt agent --placement offload`, simulated sensor) offloads to a real server
// (`edgewatt serve` inside a network namespace) through emulated links, and what its offload
// records say follows the link: the round trip grows by the emulated delays and by the bytes over
// the shaped bandwidth, the bytes the agent counts on its socket are the bytes that crossed the
// link, and the device's energy per offloaded inference grows with the round trip (LTE > Wi-Fi, in
// proportion).

import { afterAll, beforeAll, expect, it } from 'vitest';
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

  /**
   * How much longer than on the base link a request takes at best: the minimum over the rounds,
   * because this shared machine's load only ever adds time (timers fire late, never early), so the
   * quickest request is the one the load touched least. `lessServer` first takes out the server's
   * arrival-to-answer time, which varies with the load; it is not taken out on the narrow link,
   * where it holds the upload (the server times from the first byte).
   */
  const extraMs = (id: string, lessServer: boolean) => {
    const floor = (figures: OffloadFiguresAnswer[]) =>
      Math.min(...figures.map((f) => f.roundTripMs - (lessServer ? (f.serverLatencyMs ?? 0) : 0)));
    return floor(of(id).figures) - floor(of('base').figures);
  };

  it('adds the emulated round trip: never less than configured, and not much more', () => {
    for (const preset of [LINK_PRESETS.wifi, LINK_PRESETS.lte]) {
      const delayMs = preset.uplinkDelayMs + preset.downlinkDelayMs;
      // Jitter is ± per direction: one request may be up to 2 × jitter quicker than the delays.
      const quickest = Math.min(...of(preset.id).figures.map((figure) => figure.roundTripMs));
      expect(quickest, preset.id).toBeGreaterThanOrEqual(delayMs - 2 * preset.jitterMs);
      expect(extraMs(preset.id, true), preset.id).toBeGreaterThan(delayMs - 2 * preset.jitterMs - 2);
      expect(extraMs(preset.id, true), preset.id).toBeLessThan(delayMs + 2 * preset.jitterMs + 10);
      // And typically: the median request is not far off either.
      expect(of(preset.id).rttMs - of('base').rttMs, preset.id).toBeLessThan(delayMs + preset.jitterMs + 30);
    }
  });

  it('adds the time the request bytes take on a narrow uplink (tbf), less its bucket', () => {
    const narrow = of('narrow');
    const uplinkMbit = NARROW.uplinkMbit ?? 1;
    const framedB = narrow.sentB + Math.ceil(narrow.sentB / MSS) * HEADER_BYTES;
    // Between requests the bucket refills, so its bytes pass at once: only the rest waits.
    const expectedMs = (((framedB - tbfBurstBytes(uplinkMbit)) * 8) / uplinkMbit / 1e6) * 1e3;
    expect(extraMs('narrow', false)).toBeGreaterThan(expectedMs * 0.8);
    expect(extraMs('narrow', false)).toBeLessThan(expectedMs * 1.2 + 10);
  });

  it("charges the device's energy per offloaded inference in proportion to the round trip (LTE > Wi-Fi)", () => {
    const wifi = of('wifi');
    const lte = of('lte');
    for (const figure of [...wifi.figures, ...lte.figures]) expect(figure.energyProvenance).toBe('estimated');
    expect(lte.energyJ).toBeGreaterThan(wifi.energyJ * 1.5);
    const energyRatio = lte.energyJ / wifi.energyJ;
    const rttRatio = lte.rttMs / wifi.rttMs;
    expect(energyRatio / rttRatio).toBeGreaterThan(0.8);
    expect(energyRatio / rttRatio).toBeLessThan(1.25);
  });
});
