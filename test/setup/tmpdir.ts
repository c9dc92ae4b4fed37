/**
 * Global setup: every test (and every CLI or sweep process a test starts) makes its temporary
 * files under one directory of this run, removed at the end, so `npm test` leaves nothing behind
 * in the OS temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'servesim-test-run-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
