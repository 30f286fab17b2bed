// The layering rules of .dependency-cruiser.cjs (run by `npm run check`) judged on a small made-up
// tree: each forbidden import and the cycle are reported, and nothing the table allows is, so a
// rule that stopped matching (a wrong path pattern, a symlinked node_modules) fails here.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');

/** file → what it imports: files of ours, a package, a Node.js built-in. */
const TREE: Record<string, string[]> = {
  'protocol/codec.ts': ['common/logger.ts'], // forbidden: protocol imports nothing of ours
  'protocol/topics.ts': ['fake-package', 'node:fs/promises'],
  'common/logger.ts': ['protocol/topics.ts', 'fake-package'],
  'runtime/model.ts': ['protocol/topics.ts', 'common/logger.ts'],
  'runtime/loader.ts': ['agent/agent.ts'], // forbidden
  'agent/agent.ts': ['runtime/model.ts', 'protocol/topics.ts', 'common/logger.ts'],
  'agent/publish/spool.ts': [],
  'agent/boards.ts': [],
  'collector/store.ts': ['agent/agent.ts'], // forbidden
  'collector/api/server.ts': ['collector/api/compare.ts'], // cycle
  'collector/api/compare.ts': ['collector/api/server.ts'], // cycle
  'models/train.ts': ['runtime/model.ts', 'protocol/topics.ts', 'common/logger.ts', 'agent/boards.ts'], // last forbidden
  'dashboards/fleet.ts': ['protocol/topics.ts', 'collector/store.ts'], // second forbidden
  'firmware-bridge/bridge.ts': ['agent/publish/spool.ts', 'agent/agent.ts'], // second forbidden
  'serve/server.ts': ['runtime/model.ts', 'protocol/topics.ts'],
  'cli/main.ts': ['agent/agent.ts', 'collector/store.ts', 'models/train.ts', 'dashboards/fleet.ts'],
  'test/any.test.ts': ['agent/agent.ts', 'collector/store.ts', 'cli/main.ts'],
  'bench/any.bench.ts': ['collector/store.ts', 'models/train.ts'],
};

interface Violation {
  type: string;
  from: string;
  to: string;
  rule: { name: string };
  /** For a cycle: the modules after `from`, back to it. */
  cycle?: { name: string }[];
}

const temporary: string[] = [];
let violations: Violation[];

function specifier(from: string, target: string): string {
  if (!target.endsWith('.ts')) return target;
  const relative = posix.relative(posix.dirname(from), target.replace(/\.ts$/, '.js'));
  return relative.startsWith('.') ? relative : `./${relative}`;
}

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'edgewatt-layers-'));
  // Packages live outside the tree behind a symbolic link, as in a git worktree sharing node_modules.
  const modules = mkdtempSync(join(tmpdir(), 'edgewatt-layers-modules-'));
  temporary.push(dir, modules);
  mkdirSync(join(modules, 'fake-package'));
  writeFileSync(join(modules, 'fake-package/package.json'), '{"name":"fake-package","main":"index.js"}');
  writeFileSync(join(modules, 'fake-package/index.js'), 'exports.x = 1;\n');
  symlinkSync(modules, join(dir, 'node_modules'));
  for (const [file, imports] of Object.entries(TREE)) {
    const lines = imports.map((target, i) => `import { x as x${i} } from '${specifier(file, target)}';`);
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(
      join(dir, file),
      `${lines.join('\n')}\nexport const x = [${imports.map((_, i) => `x${i}`)}];\n`,
    );
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  );
  const output = execFileSync(
    process.execPath,
    [
      join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'),
      '--config',
      join(repo, '.dependency-cruiser.cjs'),
      '--output-type',
      'json',
      '.',
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  violations = (JSON.parse(output) as { summary: { violations: Violation[] } }).summary.violations;
}, 60_000);

afterAll(() => {
  for (const path of temporary) rmSync(path, { recursive: true, force: true });
});

describe('the layering check', () => {
  it('reports each import the folder table forbids, and nothing else', () => {
    const layerViolations = violations
      .filter((v) => v.type === 'dependency')
      .map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)
      .sort();
    expect(layerViolations).toEqual([
      'layer-collector: collector/store.ts → agent/agent.ts',
      'layer-dashboards: dashboards/fleet.ts → collector/store.ts',
      'layer-firmware-bridge: firmware-bridge/bridge.ts → agent/agent.ts',
      'layer-models: models/train.ts → agent/boards.ts',
      'layer-protocol: protocol/codec.ts → common/logger.ts',
      'layer-runtime: runtime/loader.ts → agent/agent.ts',
    ]);
  });

  it('reports the import cycle, once', () => {
    const cycles = violations.filter((v) => v.type === 'cycle');
    expect(cycles.map((v) => v.rule.name)).toEqual(['no-circular']);
    const members = [cycles[0]?.from, ...(cycles[0]?.cycle ?? []).map((step) => step.name)];
    expect(new Set(members)).toEqual(new Set(['collector/api/compare.ts', 'collector/api/server.ts']));
  });
});
