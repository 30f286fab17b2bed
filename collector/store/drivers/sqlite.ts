// Driver `sqlite:<path>`: the embedded default, one file (sqlite.ts). Writes records and
// comparisons, reads them (and offload records) back; writes are durable when they return, so there is nothing to drain.

import { z } from 'zod';
import { defineDriver } from '../driver.js';
import { SqliteStore } from '../sqlite.js';

export const sqliteDriver = defineDriver({
  scheme: 'sqlite',
  shape: 'sqlite:<path>',
  example: 'sqlite:.edgewatt/edgewatt.sqlite',
  summary: 'one SQLite file (the embedded default)',
  capabilities: ['writeRecords', 'readRecords', 'readOffload', 'writeComparisons'],
  options: z.strictObject({ readOnly: z.boolean().optional() }),
  locationProblem: () => null,
  create: (path, options) => new SqliteStore(path, options),
});
