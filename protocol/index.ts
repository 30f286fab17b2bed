// The wire contract between agents, bridges and collectors. Imports nothing else of ours.

export * from './codec/index.js';
export { quantizeOffloadRecord, quantizeRecord } from './codec/wire.js';
export * from './deploy/states.js';
export * from './errors.js';
export * from './limits.js';
export * from './measurements.js';
export * from './messages.js';
export * from './offload-fields.js';
export * from './record-fields.js';
export * from './record-windows.js';
export * from './sensor-coverage.js';
export * from './seq-answer.js';
export * from './topics.js';
