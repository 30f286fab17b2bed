// The deployment contract between the collector (which assigns models and runs rollouts) and the
// agent (which downloads, verifies, switches and reports): the signed assignment, the checks a
// device makes of a manifest, and the states and reasons it reports. Uses node:crypto, so it is
// not re-exported by protocol/index.ts (states.ts, which is plain data, is).

export * from './assignment.js';
export * from './checks.js';
export * from './refusal.js';
export * from './states.js';
