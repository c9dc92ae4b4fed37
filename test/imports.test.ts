/**
 * The import rule (docs/design.md, "Layers and the import rule"): src/sim imports nothing from
 * the rest of src, and folders import each other without cycles. The checker is tested on made-up
 * trees first, so a broken checker cannot pass the real tree by finding nothing.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImports, importsOf, readTree } from './helpers/import-rules.js';

const tree = (files: Record<string, string>) => new Map(Object.entries(files));

describe('the import checker', () => {
  it('reads static, type-only, re-export and dynamic imports, and ignores packages', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "import * as c from './c.js';",
      "import './side.js';",
      "export { d } from './d.js';",
      "export * from '../e/e.js';",
      "export type { F } from './f.js';",
      "const g = await import('../g/g.js');",
      "import { z } from 'zod';",
      "import {\n  h,\n  i,\n} from './hi.js';",
    ].join('\n');
    expect(importsOf(text)).toEqual(['./a.js', '../b/b.js', './c.js', './side.js', './d.js', '../e/e.js', './f.js', '../g/g.js', './hi.js']);
  });

  it('reports an import out of src/sim, naming the file and the import', () => {
    const v = checkImports(
      tree({
        'sim/gpu.ts': "import type { P } from '../models/profile.js';\nimport { L } from './lane.js';",
        'sim/lane.ts': '',
        'models/profile.ts': "import { Empirical } from '../sim/random.js';",
      }),
    );
    expect(v).toContainEqual({ file: 'sim/gpu.ts', import: '../models/profile.js', rule: 'src/sim imports nothing from other folders of src' });
  });

  it('reports a cycle between folders with one import per edge, and nothing for a layered tree', () => {
    const layered = {
      'sim/a.ts': '',
      'metrics/m.ts': "import { a } from '../sim/a.js';",
      'experiment/r.ts': "import { m } from '../metrics/m.js';\nimport { V } from '../version.js';",
      'version.ts': '',
      'cli/main.ts': "import { r } from '../experiment/r.js';",
    };
    expect(checkImports(tree(layered))).toEqual([]);
    const v = checkImports(tree({ ...layered, 'version.ts': "import { r } from './experiment/r.js';" }));
    expect(v).toEqual([
      {
        file: 'experiment',
        import: 'experiment -> version (experiment/r.ts: ../version.js); version -> experiment (version.ts: ./experiment/r.js)',
        rule: 'no cycle between folders',
      },
    ]);
    const three = checkImports(tree({ 'a/x.ts': "import '../b/y.js';", 'b/y.ts': "import '../c/z.js';", 'c/z.ts': "import '../a/x.js';" }));
    expect(three.map((x) => x.import)).toEqual(['a -> b (a/x.ts: ../b/y.js); b -> c (b/y.ts: ../c/z.js); c -> a (c/z.ts: ../a/x.js)']);
  });
});

describe('the source tree', () => {
  it('follows the import rule', () => {
    const files = readTree(join(import.meta.dirname, '..', 'src'));
    expect(files.size).toBeGreaterThan(50);
    const lines = checkImports(files).map((v) => `${v.rule}: ${v.file}: ${v.import}`);
    expect(lines, lines.join('\n')).toEqual([]);
  });
});
