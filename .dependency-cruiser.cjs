// The layering of docs/architecture.md, checked by `npm run check` (dependency-cruiser): which
// top-level folder may import which, and no import cycles anywhere. There is no list of tolerated
// violations: any import the table forbids fails the check.

/** Each component and the folders of ours it may import (besides itself). */
const LAYERS = {
  protocol: [],
  common: ['protocol'],
  runtime: ['protocol', 'common'],
  agent: ['protocol', 'runtime', 'common'],
  serve: ['protocol', 'runtime', 'common'],
  // The bridge publishes like an agent: it reuses the agent's spool and publisher, nothing else of it.
  'firmware-bridge': ['protocol', 'common', 'agent/publish'],
  collector: ['protocol', 'common'],
  models: ['protocol', 'runtime', 'common'],
  dashboards: ['protocol'],
};
// cli/ wires every component together; test/ and bench/ may import anything: no rule for them.

/** Anything that is not a package or a Node.js built-in is ours. */
const NOT_OURS = '^(node_modules/|node:)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Import cycles make load order matter and hide who depends on whom; break them with a third module.',
      from: {},
      to: { circular: true },
    },
    ...Object.entries(LAYERS).map(([component, allowed]) => ({
      name: `layer-${component}`,
      severity: 'error',
      comment:
        `${component}/ may import ` +
        (allowed.length === 0 ? 'nothing of ours' : allowed.map((folder) => `${folder}/`).join(', ')) +
        ' (docs/architecture.md, "Layers"); move what both sides need to protocol/ or runtime/.',
      from: { path: `^${component}/` },
      to: {
        dependencyTypesNot: ['core'],
        pathNot: [NOT_OURS, ...[component, ...allowed].map((folder) => `^${folder}/`)],
      },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules may be a symbolic link (worktrees): keep its packages under node_modules/.
    preserveSymlinks: true,
    exclude: { path: '^(dist|node_modules)/' },
    // Type-only imports count: a type is as much a dependency on another layer as a value.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts', '.json'],
    },
  },
};
