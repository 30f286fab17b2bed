// Builds the reference bridge firmware's host programs (its unit tests and its emulator) with the
// host's g++, once per test process, into a temp folder.

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIRMWARE = join(import.meta.dirname, '..', '..', 'firmware-bridge', 'firmware');
const FLAGS = ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-O2'];

let built: { tests: string; emulator: string } | undefined;

export function buildFirmware(): { tests: string; emulator: string } {
  if (built !== undefined) return built;
  const out = mkdtempSync(join(tmpdir(), 'ewfw-'));
  const tests = join(out, 'ewfw-tests');
  const emulator = join(out, 'ewfw-emulator');
  const bridge = join(FIRMWARE, 'src', 'bridge.cpp');
  execFileSync('g++', [...FLAGS, '-o', tests, join(FIRMWARE, 'test', 'test_bridge.cpp'), bridge], {
    stdio: 'pipe',
  });
  execFileSync('g++', [...FLAGS, '-o', emulator, join(FIRMWARE, 'emulator', 'main.cpp'), bridge], {
    stdio: 'pipe',
  });
  built = { tests, emulator };
  return built;
}
