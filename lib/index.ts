// The package's entry (`import … from 'edgewatt'`): the library API of the agent and the wire
// contract's types. `edgewatt/agent` is the agent alone.

export type {
  FeedbackMessage,
  InferenceBatch,
  InferenceRecord,
  Message,
  StatusMessage,
} from '../protocol/index.js';
export { decodeMessage, encodeMessage, RECORD_FIELDS } from '../protocol/index.js';
export * from './agent.js';
