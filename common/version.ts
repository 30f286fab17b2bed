// The edgewatt version, read once from package.json.

import { readFileSync } from 'node:fs';

function findVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (parsed.name === 'edgewatt' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // not here: try the next place (sources run from ./, the build from dist/)
    }
  }
  return '0.0.0-unknown';
}

export const EDGEWATT_VERSION = findVersion();
