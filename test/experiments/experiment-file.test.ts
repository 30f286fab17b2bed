import { describe, expect, it } from 'vitest';
import { ExperimentFileError, parseExperiment } from '../../collector/experiments/experiment-file.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const good = `
id: prune-1
fleet: lab
devices: [pi4-a, pi4-b]
arms:
  - { id: dense, model: ${A} }
  - { id: pruned, model: ${B}, variant: pruned-50, placement: edge }
periodS: 600
periods: 4
`;

function problems(text: string): string[] {
  try {
    parseExperiment(text, 'x.yaml');
  } catch (error) {
    if (error instanceof ExperimentFileError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('experiment file', () => {
  it('reads a minimal file with the defaults', () => {
    const e = parseExperiment(good);
    expect(e.design).toBe('crossover');
    expect(e.washoutS).toBe(60);
    expect(e.seed).toBe(1);
    expect(e.arms[0]?.placement).toBe('edge');
    expect(e.power.targetEffect).toBe(0.05);
  });

  it('names the field and the value of each problem, all at once', () => {
    const bad = good
      .replace('periodS: 600', 'periodS: -5')
      .replace('placement: edge', 'placement: cloud')
      .replace('fleet: lab', 'fleet: lab\ncolour: blue')
      .replace(`model: ${A}`, 'model: nothash');
    const found = problems(bad);
    expect(found.find((p) => p.startsWith('periodS:'))).toContain('-5');
    expect(found.find((p) => p.startsWith('arms.1.placement:'))).toContain('cloud');
    expect(found.find((p) => p.startsWith('arms.0.model:'))).toContain('nothash');
    expect(found).toContain('colour: unknown field; remove it or check its spelling');
  });

  it('refuses both or neither of devices and select, duplicate arms, too few periods, bad ids', () => {
    expect(problems(good.replace('devices: [pi4-a, pi4-b]', ''))[0]).toMatch(/^devices: give either/);
    expect(problems(good.replace('id: pruned', 'id: dense'))).toContain('arms: arm id "dense" is used twice');
    expect(problems(good.replace('periods: 4', 'periods: 1'))[0]).toMatch(/^periods: a crossover needs/);
    expect(problems(good.replace('pi4-a', 'pi4/a'))[0]).toMatch(/^devices\.0: device id "pi4\/a" may only/);
    expect(problems(good.replace('periodS: 600', 'periodS: 30'))[0]).toMatch(
      /^washoutS: .* shorter than periodS/,
    );
  });

  it('takes an offload arm’s server as an http(s) URL, as the placement command does', () => {
    const offload = good.replace('placement: edge', 'placement: offload, server: "https://serve.lan:8790"');
    expect(parseExperiment(offload).arms[1]?.server).toBe('https://serve.lan:8790');
    const bad = problems(good.replace('placement: edge', 'placement: offload, server: "ftp://serve.lan"'));
    expect(bad.find((p) => p.startsWith('arms.1.server:'))).toBeDefined();
  });

  it('takes an auto arm (the collector sends its command with a comparison basis)', () => {
    const auto = parseExperiment(good.replace('placement: edge', 'placement: auto'));
    expect(auto.arms[1]?.placement).toBe('auto');
    const bad = problems(good.replace('placement: edge', 'placement: sometimes'));
    expect(bad.find((p) => p.startsWith('arms.1.placement:'))).toBeDefined();
  });

  it('says where YAML is broken', () => {
    expect(() => parseExperiment('id: [', 'f.yaml')).toThrow(/f\.yaml: not valid YAML or JSON at line/);
  });
});
