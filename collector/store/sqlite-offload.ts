// The SQLite store's `offload` table, derived from the offload record's field table
// (protocol/offload-fields.ts) by sqlite-records.ts. Created when a file is opened for writing,
// so files made before offload records existed get it then; (fleet, device, seq) is its key, as
// for inference records, and the two kinds share the device's seq space.

import { OFFLOAD_FIELD_LIST } from '../../protocol/index.js';
import { sqliteRecordTable } from './sqlite-records.js';
import type { StoredOffloadRecord } from './store.js';

export const OFFLOAD_TABLE = sqliteRecordTable<StoredOffloadRecord>(
  'offload',
  OFFLOAD_FIELD_LIST,
  'compare reads one device without its fleet (device.measured): as for inference, by device first.',
);
