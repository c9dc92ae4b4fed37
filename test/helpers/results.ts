/** Helpers for the results tests: tiny configs, temporary dirs, the built CLI. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const PROFILE = join(ROOT, 'hw-profiles', 'v100-clockwork.json');

export function tmp(prefix = 'servesim-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small, fast experiment: 1 GPU, a few ResNet50 copies, Poisson arrivals. */
export function tinyConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    seed: 7,
    duration: '3s',
    warmup: '500ms',
    drain: '2s',
    cluster: { profile: PROFILE },
    models: [{ profile: 'resnet50_v2', copies: 6 }],
    workload: { type: 'poisson', rate: 250, slo: '25ms' },
    scheduler: { type: 'fifo' },
    ...over,
  };
}

export function writeConfig(dir: string, cfg: Record<string, unknown>, name = 'config.json'): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(cfg, null, 2));
  return f;
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build dist/ if it is missing or older than src/ (the CLI and sweep workers run the build). */
export function ensureBuilt(): void {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  const worker = join(ROOT, 'dist', 'experiment', 'sweep-worker.js');
  if (existsSync(main) && existsSync(worker) && Math.min(statSync(main).mtimeMs, statSync(worker).mtimeMs) >= newest(join(ROOT, 'src'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT], { stdio: 'inherit' });
}

export const CLI = join(ROOT, 'bin', 'servesim.js');

/** Every file under dir (relative paths, sorted) with its bytes, except the given names. */
export function snapshot(dir: string, exclude: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (exclude(rel)) continue;
      if (e.isDirectory()) walk(p);
      else out[rel] = readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

/** PNG width and height from the IHDR chunk. */
export function pngSize(buf: Buffer): { width: number; height: number } {
  const sig = buf.subarray(0, 8).toString('hex');
  if (sig !== '89504e470d0a1a0a') throw new Error('not a PNG');
  if (buf.subarray(12, 16).toString('ascii') !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}
