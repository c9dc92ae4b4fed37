/**
 * The published package (README.md, "Quick start"): what `npm pack` puts in it must be enough for
 * the `$schema` paths of the shipped configs and the links of the packaged docs to resolve, it
 * carries the licence, and npm runs without warnings about the project's own configuration.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
let files: Set<string>;
let npmStderr = '';

describe('npm pack', () => {
  beforeAll(() => {
    // --ignore-scripts: no `prepare` build; the file list comes from package.json "files".
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    npmStderr = r.stderr;
    files = new Set((JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path));
  }, 60_000);

  it('npm prints no warning (no unknown keys in a project .npmrc)', () => {
    // Warnings about the user's or the global npmrc are the machine's, not the project's.
    const ours = npmStderr.split('\n').filter((l) => /npm warn/i.test(l) && !/(user|global|builtin) config/i.test(l));
    expect(ours).toEqual([]);
  });

  it('holds the licence, the README, the docs and both JSON Schemas, the examples and the configs', () => {
    for (const f of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/servesim.js',
      'docs/experiment.schema.json',
      'docs/profile.schema.json',
      'docs/design.md',
      'examples/slurm/sweep.sbatch',
      'examples/k8s/sweep-job.yaml',
      'experiments/quickstart.json',
      'experiments/paper/fast/fig5.json',
      'hw-profiles/v100-clockwork.json',
    ]) {
      expect(files.has(f), f).toBe(true);
    }
    expect([...files].some((f) => f.startsWith('src/') || f.startsWith('test/') && f !== 'test/fuzz/README.md')).toBe(false);
  });

  it('every packaged config\'s "$schema" names a file in the package', () => {
    const configs = [...files].filter((f) => /^(experiments|bench|examples)\/.*\.json$/.test(f));
    expect(configs.length).toBeGreaterThanOrEqual(19);
    for (const f of configs) {
      const ref = JSON.parse(readFileSync(join(ROOT, f), 'utf8')).$schema;
      if (ref === undefined) continue;
      expect(files.has(normalize(join(dirname(f), ref))), `${f}: $schema ${ref}`).toBe(true);
    }
  });

  it('every relative link of the packaged Markdown resolves inside the package', () => {
    const docs = [...files].filter((f) => f.endsWith('.md'));
    expect(docs).toEqual(expect.arrayContaining(['README.md', 'docs/paper-reproduction.md']));
    let links = 0;
    for (const f of docs) {
      for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(m[1])) continue; // https:, mailto:
        links++;
        expect(files.has(normalize(join(dirname(f), m[1]))), `${f}: link ${m[1]}`).toBe(true);
      }
    }
    expect(links).toBeGreaterThan(20);
  });

  it('LICENSE is the Apache License 2.0, full text, copyright servesim authors', () => {
    const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).license).toBe('Apache-2.0');
    expect(text).toMatch(/^Copyright \d{4} servesim authors\n/);
    expect(text).toContain('Apache License\n                           Version 2.0, January 2004');
    for (let s = 1; s <= 9; s++) expect(text, `section ${s}`).toMatch(new RegExp(`\\n   ${s}\\. [A-Z]`));
    expect(text).toContain('END OF TERMS AND CONDITIONS');
  });
});
