// The model artifact contract, shared by models/ (which makes and signs artifacts), the agent
// (which runs only verified ones) and the collector (which deploys them): the manifest format, the
// ed25519 signature over it, the trust policy and the verification of an artifact on disk.
// Imports nothing of ours; not re-exported by protocol/index.ts, which stays free of node:fs.

export * from './artifact.js';
export * from './errors.js';
export * from './manifest.js';
export * from './model-artifact.js';
export * from './signature.js';
export * from './trust.js';
