// Hard limits on what a publisher may send. They bound the memory a collector spends on one
// message and the work one hostile or broken publisher can cause.

/** Largest payload, in bytes, that a decoder will look at. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** Most records one inference batch may carry. */
export const MAX_BATCH_RECORDS = 2_000;
/** Longest id (fleet, device) in characters. */
export const MAX_ID_LENGTH = 64;
/** Longest free-text field (model id, variant, backend, sensor) in characters. */
export const MAX_TEXT_LENGTH = 128;
/** Largest energy one record may claim, in joules (about 2.5 kWh): guards against unit mistakes. */
export const MAX_RECORD_ENERGY_J = 9e6;
