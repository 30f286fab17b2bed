// The commands the documentation gives a user, run as written (as processes, in a temp dir):
// the `sh signing` blocks of docs/deployment.md on a model of the zoo with its signature removed
// (a folder like the ones `edgewatt model train` writes), and the commands in the comment of each
// example scenario that reads `measured` values (`edgewatt demo`, then `edgewatt compare` on the
// demo's store).

import { cpSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { runCli } from '../support/process.js';
import { tempDir } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `edgewatt ...` lines of the fenced blocks tagged `lang tag` in a Markdown text, comments cut. */
function commandsInFences(markdown: string, info: string): string[][] {
  const blocks = [...markdown.matchAll(new RegExp(`^\`\`\`${info}\\n([\\s\\S]*?)^\`\`\``, 'gm'))];
  return blocks.flatMap((block) => commandLines(block[1] ?? ''));
}

function commandLines(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => /^(npx )?edgewatt /.test(line))
    .map((line) => line.replace(/^(npx )?edgewatt /, '').split(/\s+/));
}

async function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const cli = runCli(args, env, cwd);
  const { code } = await cli.exited;
  expect(code, `edgewatt ${args.join(' ')}\n${cli.stderr()}`).toBe(0);
  return cli.stdout();
}

describe('docs/deployment.md: signing your own models', () => {
  const dir = tempDir('edgewatt-doc-signing-');
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker();
    // A model folder as `edgewatt model train` writes it: model.json, weights.bin, manifest.json.
    cpSync(join(ROOT, 'models/zoo/cnn-p50'), join(dir.path, 'my-model'), { recursive: true });
    rmSync(join(dir.path, 'my-model/manifest.sig'));
  });
  afterAll(async () => {
    await broker.close();
    dir.remove();
  });

  it('runs every command of the `sh signing` blocks, in order', async () => {
    const commands = commandsInFences(readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8'), 'sh signing');
    expect(commands.map((args) => args.slice(0, 2).join(' '))).toEqual([
      'model keygen',
      'model sign',
      'model verify',
      'agent --device',
    ]);
    for (const args of commands) {
      // The agent publishes to a broker of this test; everything else is as written.
      await run(args, dir.path, {
        EDGEWATT_BROKER: broker.url,
        EDGEWATT_STATE_DIR: join(dir.path, 'agent-state'),
      });
    }
    expect(readdirSync(join(dir.path, 'my-model'))).toContain('manifest.sig');
  }, 120_000);

  it('and the agent refuses the same model once it is changed after signing', async () => {
    const weights = join(dir.path, 'my-model/weights.bin');
    const bytes = readFileSync(weights);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    cpSync(join(dir.path, 'my-model'), join(dir.path, 'tampered'), { recursive: true });
    writeFileSync(join(dir.path, 'tampered/weights.bin'), bytes);
    const args =
      '--device pi4-02 --model tampered --trusted-key fleet.pub.pem --sensor simulated:rpi4 --count 1';
    const cli = runCli(
      ['agent', ...args.split(' ')],
      { EDGEWATT_BROKER: broker.url, EDGEWATT_STATE_DIR: join(dir.path, 'agent-state-2') },
      dir.path,
    );
    const { code } = await cli.exited;
    expect(code).not.toBe(0);
    expect(cli.stderr()).toMatch(
      /weights\.bin: SHA-256 .* but tampered\/manifest\.json says .*Refusing the model/,
    );
  }, 60_000);
});

describe('examples/scenarios: the commands in their comments', () => {
  const scenarios = join(ROOT, 'examples/scenarios');
  const withCommands = readdirSync(scenarios)
    .map((file) => ({
      file,
      commands: commandLines(readFileSync(join(scenarios, file), 'utf8').replace(/^#/gm, '')),
    }))
    .filter(({ commands }) => commands.length > 0);

  it('pi4-measured.yaml has them', () => {
    expect(withCommands.map(({ file }) => file)).toContain('pi4-measured.yaml');
  });

  it.each(withCommands)(
    '$file: every command runs, as written from the repository root',
    async ({ commands }) => {
      const dir = tempDir('edgewatt-doc-example-');
      try {
        // The commands run from a clone's root: give the temp dir the clone's examples/.
        symlinkSync(join(ROOT, 'examples'), join(dir.path, 'examples'));
        let last = '';
        for (const args of commands) {
          // Shorter than written, so the test is quick: 3 s of demo give each agent some records.
          const quick = args.map((arg, i) => (args[i - 1] === '--duration' ? '3' : arg));
          last = await run(quick, dir.path);
        }
        expect(last).toMatch(/store-estimate/);
      } finally {
        dir.remove();
      }
    },
    120_000,
  );
});
