/**
 * docs/walkthrough.md, run as written: every ```sh block (not ```sh setup, which CI's .ci/run does)
 * in order, with bash -euo pipefail, in a fresh directory laid out like a clone (bin, dist, docs,
 * examples, experiments, hw-profiles, node_modules and package.json of this checkout), so the
 * user's files (my-study/) are made from scratch and `import ... from 'servesim'` resolves through
 * the package's self-reference as in a clone. Then the files the page says it makes are checked.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** The ```sh blocks of a markdown text, without those tagged `sh setup`. */
export function shellBlocks(md: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/^```sh([^\n]*)\n([\s\S]*?)^```$/gm)) if (m[1].trim() === '') out.push(m[2]);
  return out;
}

describe('docs/walkthrough.md', () => {
  it('finds the runnable blocks and skips the setup', () => {
    const md = '```sh setup\ngit clone x\n```\ntext\n```sh\necho a\n```\n```json\n{}\n```\n```sh\necho b\n```\n';
    expect(shellBlocks(md)).toEqual(['echo a\n', 'echo b\n']);
  });

  it('runs as written: my own scheduler against Clockwork over 5 seeds, compare with intervals, the figure', () => {
    const md = readFileSync(join(ROOT, 'docs/walkthrough.md'), 'utf8');
    const blocks = shellBlocks(md);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const dir = mkdtempSync(join(tmpdir(), 'servesim-walkthrough-'));
    try {
      for (const d of ['bin', 'dist', 'docs', 'examples', 'experiments', 'hw-profiles', 'node_modules']) symlinkSync(join(ROOT, d), join(dir, d));
      copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      for (const [i, b] of blocks.entries()) {
        const r = spawnSync('bash', ['-euo', 'pipefail', '-c', b], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
        expect(r.status, `block ${i + 1} failed:\n${b}\n${r.stderr}`).toBe(0);
      }
      const s = join(dir, 'my-study');
      // Step 4: 2 schedulers x 4 rates, 5 seeds each.
      const configs = JSON.parse(readFileSync(join(s, 'results/index-configs.json'), 'utf8')) as Array<{ n: number; scheduler: string; seeds: number[] }>;
      expect(configs.length).toBe(8);
      expect(configs.every((c) => c.n === 5 && c.seeds.join() === '1,2,3,4,5')).toBe(true);
      expect(new Set(configs.map((c) => c.scheduler))).toEqual(new Set(['edf', 'clockwork']));
      // The plugin's provenance went with the results.
      const edfPoint = readdirSync(join(s, 'results')).find((d) => d.startsWith('scheduler.type=._edf.js'))!;
      const manifest = JSON.parse(readFileSync(join(s, 'results', edfPoint, 'manifest.json'), 'utf8'));
      expect(JSON.stringify(manifest.plugins)).toContain('edf.js');
      // Step 5: mean ± half-width and the verdict columns.
      const cmp = readFileSync(join(s, 'compare.md'), 'utf8');
      expect(cmp).toMatch(/\| runs \(n\) \| 5 \|/);
      expect(cmp).toMatch(/±/);
      expect(cmp).toMatch(/DIFFERS \(p=|n\.s\. \(p=/);
      // Step 6: a vector figure, its PNG, and the plotted numbers beside them.
      const fig = join(s, 'figures');
      expect(readFileSync(join(fig, 'goodput-vs-load.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
      expect(readFileSync(join(fig, 'goodput-vs-load.png')).subarray(1, 4).toString()).toBe('PNG');
      const csv = readFileSync(join(fig, 'goodput-vs-load.csv'), 'utf8').trim().split('\n');
      // One row per configuration drawn (8), plus the header.
      expect(csv.length).toBe(9);
      expect(existsSync(join(fig, 'tail-400', 'latency-tail.png'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
