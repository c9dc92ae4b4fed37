/**
 * The import rule of docs/design.md ("Layers and the import rule"), checked on source text:
 * - nothing in src/sim imports from another folder of src (the engine stands alone);
 * - no cycle between folders (a folder is the first path segment under src; a file directly in
 *   src, such as version.ts, is a node of its own).
 * Static imports, `export ... from` and dynamic `import('...')` all count, type-only ones too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** Relative module specifiers a file imports. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:\bimport\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?|\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+|\bimport\s*\(\s*)['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) if (m[1].startsWith('.')) out.push(m[1]);
  return out;
}

/** The node of a module path relative to src ("sim/gpu.ts" -> "sim", "version.js" -> "version"). */
export function folderOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? path.replace(/\.[jt]s$/, '') : path.slice(0, slash);
}

export interface Violation {
  file: string;
  import: string;
  rule: string;
}

/**
 * Check a source tree given as path (relative to src, with "/") -> text. Returns the violations:
 * imports out of sim, and one entry per folder cycle (naming the folders and one import per edge).
 */
export function checkImports(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const edges = new Map<string, Map<string, { file: string; spec: string }>>();
  for (const [file, text] of files) {
    const from = folderOf(file);
    for (const spec of importsOf(text)) {
      const target = posix.normalize(posix.join(posix.dirname(file), spec));
      if (target.startsWith('../')) continue; // outside src (package.json and the like)
      const to = folderOf(target);
      if (to === from) continue;
      if (from === 'sim') violations.push({ file, import: spec, rule: 'src/sim imports nothing from other folders of src' });
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, { file, spec });
    }
  }
  for (const cycle of cycles(edges)) {
    const steps = cycle.map((f, i) => {
      const e = edges.get(f)!.get(cycle[(i + 1) % cycle.length])!;
      return `${f} -> ${cycle[(i + 1) % cycle.length]} (${e.file}: ${e.spec})`;
    });
    violations.push({ file: cycle[0], import: steps.join('; '), rule: 'no cycle between folders' });
  }
  return violations;
}

/** Strongly connected components with more than one folder (Tarjan), each as a cycle through it. */
function cycles(edges: Map<string, Map<string, unknown>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const nodes = new Set<string>([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]);
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) found.push(pathThrough(new Set(comp), edges));
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** A cycle through the first (sorted) folder of a strongly connected component. */
function pathThrough(comp: Set<string>, edges: Map<string, Map<string, unknown>>): string[] {
  const start = [...comp].sort()[0];
  // Breadth-first from start back to start within the component.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
      if (!comp.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0])!);
        return path;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...comp].sort();
}

/** Every .ts file under `root` (the src folder) as path relative to it -> text. */
export function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.set(relative(root, p).split(sep).join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return files;
}
