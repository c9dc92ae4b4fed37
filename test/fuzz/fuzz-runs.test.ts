/**
 * Property: small valid experiments (every scheduler, 1-2 workloads of several kinds, 1-2 GPUs)
 * run to completion with sound outputs (outcome counts add up, no NaN/Infinity, nulls only for
 * quantities without data, no answer faster than the model's fastest execution) and byte-identical
 * reruns. Then the inputs that can hang a process (/dev/zero, a FIFO, an endless measurement),
 * run in child processes with a time limit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonText } from './fields.js';
import { judge, removeSandbox, snapshot, diffSnapshots, type FuzzCase } from './harness.js';
import { baseConfig, ROOT } from './inputs.js';
import { checkSharedAfterAll, FUZZ_TIMEOUT, fuzzTitle, runFuzzSuite } from './run-suite.js';

describe('fuzz: valid runs and runs at edge values', () => {
  checkSharedAfterAll();
  // Every generated case clean: the failure classes (each with a shrunk reproducer in the message) are none.
  for (const name of ['valid-run', 'edge-run']) {
    it(fuzzTitle(name), async () => {
      const { failures, report } = await runFuzzSuite(name);
      expect(failures, report).toEqual([]);
    }, FUZZ_TIMEOUT);
  }
});

/** Inputs that could block or exhaust a process: each must end, within the limit, in a clean error. */
const HANGS: Array<{ kind: string; argv: string[]; config?: (c: Record<string, any>) => void; fifo?: string; mentions: Array<string | string[]> }> = [
  { kind: 'config is /dev/zero', argv: ['validate', '/dev/zero'], mentions: ['/dev/zero'] },
  { kind: 'config is a FIFO', argv: ['validate', 'exp.fifo'], fifo: 'exp.fifo', mentions: ['exp.fifo'] },
  { kind: 'profile is /dev/zero', argv: ['validate', 'exp.json'], config: (c) => (c.cluster.profile = '/dev/zero'), mentions: ['/dev/zero'] },
  { kind: 'profile is a FIFO', argv: ['validate', 'exp.json'], config: (c) => (c.cluster.profile = 'p.fifo'), fifo: 'p.fifo', mentions: ['p.fifo'] },
  { kind: 'azure-2021 trace is /dev/zero', argv: ['run', 'exp.json', '--out', 'out', '-q'], config: (c) => (c.workload = { type: 'azure-2021', file: '/dev/zero' }), mentions: ['/dev/zero'] },
  { kind: 'timestamps trace is a FIFO', argv: ['run', 'exp.json', '--out', 'out', '-q'], config: (c) => (c.workload = { type: 'timestamps', file: 't.fifo' }), fifo: 't.fifo', mentions: ['t.fifo'] },
  { kind: 'trace stats of /dev/zero', argv: ['trace', 'stats', '/dev/zero'], mentions: ['/dev/zero'] },
  { kind: 'ONNX model is /dev/zero', argv: ['profile', '/dev/zero', '--out', 'p.json'], mentions: ['/dev/zero'] },
  { kind: 'a hundred million model instances', argv: ['validate', 'exp.json', '--set', 'models[0].copies=100000000'], mentions: ['copies'] },
  { kind: 'endless measurement (--min-time 1e999s)', argv: ['profile', '--zoo', 'resnet18', '--min-time', '1e999s', '--max-time', '1e999s', '--out', 'p.json'], mentions: ['--min-time'] },
];

const LIMIT_MS = 10_000;

/** `fn` over `items`, at most `n` at a time, results in order. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}
const LOADER = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

describe('fuzz: inputs that could hang, in child processes', () => {
  it(`each ends within ${LIMIT_MS / 1000} s in a clean error`, async () => {
    const results = await pool(
      HANGS,
      3,
      async (h) => {
        const root = mkdtempSync(join(tmpdir(), 'servesim-fuzz-'));
        try {
          const cfg = baseConfig('fifo', 'poisson');
          h.config?.(cfg);
          const c: FuzzCase = { category: 'hang', kind: h.kind, label: h.kind, files: { 'exp.json': jsonText(cfg) }, argv: h.argv, expect: 'reject', mentions: h.mentions, allowedWrites: ['out', 'p.json'], slowMs: LIMIT_MS };
          writeFileSync(join(root, 'exp.json'), c.files['exp.json']);
          if (h.fifo) spawnSync('mkfifo', [join(root, h.fifo)]);
          const before = snapshot(root);
          const t0 = performance.now();
          const r = await new Promise<{ code: number | null; stderr: string; timedOut: boolean }>((resolve) => {
            // A 2.5 GB data-size cap: reading /dev/zero to the end must not take the machine's memory.
            const child = spawn('/bin/sh', ['-c', 'ulimit -d 2500000; exec "$@"', 'sh', process.execPath, '--import', LOADER, join(ROOT, 'test', 'fuzz', 'cli-entry.ts'), ...h.argv], {
              cwd: root,
              stdio: ['ignore', 'ignore', 'pipe'],
            });
            let stderr = '';
            child.stderr.on('data', (d) => (stderr += d));
            const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
            child.on('close', (code, signal) => {
              clearTimeout(timer);
              resolve({ code, stderr, timedOut: signal === 'SIGKILL' });
            });
          });
          const ms = performance.now() - t0;
          const v = judge(c, { exitCode: r.code ?? 137, stdout: '', stderr: r.stderr, ms }, diffSnapshots(before, snapshot(root), c.allowedWrites));
          const problems = r.timedOut ? [`no answer within ${LIMIT_MS / 1000} s (killed)`] : v.problems;
          return problems.length ? `${h.kind}: servesim ${h.argv.join(' ')}\n  ${problems.join('\n  ')}` : '';
        } finally {
          removeSandbox(root);
        }
      },
    );
    expect(results.filter((r) => r !== '')).toEqual([]);
  }, 120_000);
});
