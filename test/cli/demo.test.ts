// What `edgewatt demo` tells a new user is true: its --help names as many agents as it starts, and
// its closing hint is a command that works right after `npm install` (npx, not a global install).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoCommand, runDemo } from '../../cli/commands/demo.js';
import { demoSchema } from '../../cli/schemas.js';

const dir = mkdtempSync(join(tmpdir(), 'edgewatt-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

describe('edgewatt demo', () => {
  it('starts as many agents as its --help says, and ends with an npx command', async () => {
    let printed = '';
    await runDemo(demoSchema.parse({ duration: 1.5, interval: 60, dataDir: join(dir, 'demo') }), (text) => {
      printed += text;
    });
    const agents = Number(/, (\d+) agents on /.exec(printed)?.[1]);
    expect(agents).toBeGreaterThan(0);
    expect(demoCommand().description()).toContain(`${NUMBERS[agents]} agents`);
    expect(printed).toMatch(/Export them: npx edgewatt export --store sqlite:\S+demo\.sqlite --format csv\n/);
  }, 60_000);
});
