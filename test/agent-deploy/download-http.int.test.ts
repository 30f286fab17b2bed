// downloadFiles over node:http(s) against a local server that misbehaves: what fetch() gave for
// free (idle cut after the headers, premature close detected, TLS checked) must still hold.

import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadFiles } from '../../agent/deploy/download.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function serve(
  handler: (response: ServerResponse, range: string | undefined) => void,
): Promise<string> {
  server = createServer((request, response) => handler(response, request.headers.range));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

const options = (extra: Partial<Parameters<typeof downloadFiles>[4]> = {}) => ({
  signal: new AbortController().signal,
  tries: 1,
  retryMinMs: 1,
  ...extra,
});

describe('downloadFiles over node:http', () => {
  it('cuts a transfer whose body stops after the headers (idle timeout)', { timeout: 10_000 }, async () => {
    const baseUrl = await serve((response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write(Buffer.alloc(10));
    });
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    const started = Date.now();
    await expect(
      downloadFiles(
        { baseUrl, idleTimeoutMs: 300 },
        'm1',
        [{ path: 'w.bin', bytes: 100, exact: true }],
        dir,
        options(),
      ),
    ).rejects.toThrow(/no byte for 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('says the idle timeout cut a request that never answered', { timeout: 10_000 }, async () => {
    const baseUrl = await serve(() => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    await expect(
      downloadFiles(
        { baseUrl, idleTimeoutMs: 300 },
        'm1',
        [{ path: 'w.bin', bytes: 100, exact: true }],
        dir,
        options(),
      ),
    ).rejects.toThrow(/no byte for 300 ms/);
  });

  it('cuts endless data without a Content-Length', { timeout: 10_000 }, async () => {
    const baseUrl = await serve((response) => {
      response.writeHead(200);
      const more = () => {
        if (response.write(Buffer.alloc(64 * 1024))) setImmediate(more);
        else response.once('drain', more);
      };
      more();
    });
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    await expect(
      downloadFiles({ baseUrl }, 'm1', [{ path: 'w.bin', bytes: 100_000, exact: true }], dir, options()),
    ).rejects.toMatchObject({ reason: 'too-large' });
  });

  it('does not accept a metadata file cut short of its Content-Length', { timeout: 10_000 }, async () => {
    const baseUrl = await serve((response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write(Buffer.from('{"a":'));
      setTimeout(() => response.socket?.destroy(), 50);
    });
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    const result = downloadFiles(
      { baseUrl },
      'm1',
      [{ path: 'manifest.json', bytes: 4096, exact: false }],
      dir,
      options(),
    );
    await expect(result).rejects.toThrow(/ended at byte|transfer broke|aborted/);
  });

  it('an outer abort mid-body ends the download at once', { timeout: 10_000 }, async () => {
    const baseUrl = await serve((response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write(Buffer.alloc(10));
    });
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop now')), 200);
    await expect(
      downloadFiles(
        { baseUrl },
        'm1',
        [{ path: 'w.bin', bytes: 100, exact: true }],
        dir,
        options({ signal: controller.signal }),
      ),
    ).rejects.toThrow('stop now');
  });

  // fetch() followed redirects (and dropped the credentials on another origin); node:http follows
  // none: a registry that redirects is refused, never sent the device's credentials elsewhere.
  it('a redirect is refused, not followed', { timeout: 10_000 }, async () => {
    const baseUrl = await serve((response) => {
      response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      response.end();
    });
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    await expect(
      downloadFiles(
        { baseUrl, username: 'd', password: 'p' },
        'm1',
        [{ path: 'w.bin', bytes: 100, exact: true }],
        dir,
        options(),
      ),
    ).rejects.toThrow(/302/);
  });
});
