// The failures a user meets first, each with real processes: `edgewatt collector` against a closed
// port and against a real mosquitto that refuses the credentials, `edgewatt export | head` on a
// real pipe closed early. Each prints one line (no stack trace unless --debug) and exits as stated.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoPasswordHash } from '../../cli/commands/provision-files.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { spoolRecords } from '../spool/records.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { freePort } from '../support/ports.js';
import { BIN, runCli } from '../support/process.js';
import { describeWith } from '../support/tools.js';

const STACK_LINE = /\n\s+at /;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgewatt-failures-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function collector(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const run = runCli([
    'collector',
    '--store',
    `sqlite:${join(dir, 'c.sqlite')}`,
    '--dead-letter',
    'memory',
    '--stats-interval',
    '0',
    ...args,
  ]);
  const { code } = await run.exited;
  return { code, stderr: run.stderr() };
}

describe('broker unreachable', () => {
  it('says so in one line, naming the URL and the flag, when nothing listens on the port', async () => {
    const port = await freePort(); // free: nothing listens there
    const { code, stderr } = await collector(['--broker', `mqtt://127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `edgewatt: cannot reach the MQTT broker at mqtt://127.0.0.1:${port}: connection refused (nothing listens there) (is the broker running and listening there? check --broker)\n`,
    );
  });

  it('names an unknown host', async () => {
    const { code, stderr } = await collector(['--broker', 'mqtt://no-such-host.invalid:1883']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^edgewatt: cannot reach the MQTT broker at mqtt:\/\/no-such-host\.invalid:1883: /,
    );
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints the stack trace, with its cause, only with --debug (which may follow the command)', async () => {
    const port = await freePort();
    const { code, stderr } = await collector(['--broker', `mqtt://127.0.0.1:${port}`, '--debug']);
    expect(code).toBe(1);
    expect(stderr).toContain('BrokerUnreachableError: cannot reach the MQTT broker');
    expect(stderr).toMatch(STACK_LINE);
    expect(stderr).toContain('caused by: Error: connect ECONNREFUSED');
  });
});

describeWith(['mosquitto'], 'broker refuses the credentials (real mosquitto with a password file)', () => {
  let broker: Mosquitto;

  beforeAll(async () => {
    const passwd = join(dir, 'mosquitto.passwd');
    writeFileSync(passwd, `collector:${mosquittoPasswordHash('right-password')}\n`);
    broker = await startMosquitto({ extraConfig: `allow_anonymous false\npassword_file ${passwd}` });
  });

  afterAll(async () => {
    await broker?.remove();
  });

  it('names the user and the options to check, in one line', async () => {
    const { code, stderr } = await collector([
      '--broker',
      broker.url,
      '--username',
      'collector',
      '--password',
      'wrong-password',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `^edgewatt: the MQTT broker at ${broker.url} refused user "collector" \\((Not authorized|Bad username or password)\\) \\(check --username and --password`,
      ),
    );
    expect(stderr).not.toContain('wrong-password');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says an anonymous client was refused when no user is given', async () => {
    const { code, stderr } = await collector(['--broker', broker.url]);
    expect(code).toBe(1);
    expect(stderr).toContain(`the MQTT broker at ${broker.url} refused an anonymous client`);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('connects with the right password (the refusal above is about the credentials)', async () => {
    const run = runCli(
      [
        'collector',
        '--broker',
        broker.url,
        '--username',
        'collector',
        '--password',
        'right-password',
        '--store',
        `sqlite:${join(dir, 'ok.sqlite')}`,
        '--dead-letter',
        'memory',
      ],
      { EDGEWATT_LOG_LEVEL: 'info' },
    );
    const deadline = Date.now() + 20_000;
    while (!run.stderr().includes('collector subscribed') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(run.stderr()).toContain('collector subscribed');
    expect(code).toBe(0);
  });
});

describeWith(['mosquitto'], 'the HTTP API address is taken', () => {
  it('says so in one line, naming the address and the flag', async () => {
    const broker = await startMosquitto();
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const { code, stderr } = await collector(['--broker', broker.url, '--http', `127.0.0.1:${port}`]);
      expect(code).toBe(1);
      expect(stderr).toBe(
        `edgewatt: cannot listen on 127.0.0.1:${port}: the address is already in use (stop what uses it, or choose another with --http)\n`,
      );
    } finally {
      taken.close();
      await broker.remove();
    }
  });
});

describe('a closed standard output', () => {
  it('`edgewatt export | head -1` exits quietly: status 0, no EPIPE, no stack trace', async () => {
    const path = join(dir, 'many.sqlite');
    const store = new SqliteStore(path);
    await store.connect();
    // ~20,000 CSV lines (a few MB): far more than a pipe buffers, so export is still writing when head exits.
    for (let batch = 0; batch < 20; batch++)
      await store.writeBatch(
        'lab',
        'pi4-01',
        spoolRecords(1000, batch * 1000).map(
          (record, i) => ({ ...record, seq: batch * 1000 + i }) as InferenceRecord,
        ),
      );
    await store.close();
    const errFile = join(dir, 'export.err');
    const result = spawnSync(
      'bash',
      [
        '-o',
        'pipefail',
        '-c',
        `"${process.execPath}" "${BIN}" export --store sqlite:${path} 2>"${errFile}" | head -1`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.stdout).toMatch(/^fleet,device,seq,/);
    expect(result.stdout.split('\n')).toHaveLength(2); // one line and its newline: head closed the pipe
    expect(readFileSync(errFile, 'utf8')).toBe('');
    expect(result.status).toBe(0); // pipefail: export's own status
  });
});
