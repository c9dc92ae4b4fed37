/**
 * Running a fuzz campaign over one arbitrary of cases: every case is run and judged; failures are
 * grouped into classes by signature, and the first case of each class is replayed by fast-check
 * (same seed, its run index as the replay path) and shrunk to a small reproducer of that class.
 */
import fc from 'fast-check';
import { evaluate, reproducer, type FuzzCase, type Verdict } from './harness.js';

export interface FailureClass {
  signature: string;
  count: number;
  first: { index: number; case: FuzzCase; verdict: Verdict };
  shrunk?: { case: FuzzCase; verdict: Verdict; shrinks: number };
}

export interface CampaignReport {
  name: string;
  seed: number;
  /** Per case category: tried and clean. */
  categories: Record<string, { tried: number; clean: number }>;
  tried: number;
  clean: number;
  failures: FailureClass[];
  /** Wall time of the cases, and of everything (with shrinking). */
  casesMs: number;
  ms: number;
}

export interface CampaignOptions {
  runs: number;
  seed: number;
  /** Time spent shrinking each failure class (ms). */
  shrinkMs?: number;
  /** Classes shrunk at most (the rest are reported as first found). */
  maxShrunk?: number;
}

/** Global fuzz settings: FUZZ_SEED, FUZZ_SCALE (multiplies every category's runs), FUZZ_SHRINK_MS. */
export function settings(): { seed: number; scale: number; shrinkMs: number } {
  const num = (v: string | undefined, d: number): number => (v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : d);
  return { seed: num(process.env.FUZZ_SEED, 20250101), scale: num(process.env.FUZZ_SCALE, 1), shrinkMs: num(process.env.FUZZ_SHRINK_MS, 4000) };
}

export async function runCampaign(name: string, arb: fc.Arbitrary<FuzzCase>, o: CampaignOptions): Promise<CampaignReport> {
  const t0 = performance.now();
  const categories: CampaignReport['categories'] = {};
  const classes = new Map<string, FailureClass>();
  let index = 0;
  let tried = 0;
  let clean = 0;
  await fc.check(
    fc.asyncProperty(arb, async (c) => {
      const i = index++;
      const v = await evaluate(c);
      const cat = (categories[c.category] ??= { tried: 0, clean: 0 });
      cat.tried++;
      tried++;
      if (v.ok) {
        cat.clean++;
        clean++;
      } else {
        for (const sig of v.signatures) {
          const k = classes.get(sig);
          if (k) k.count++;
          else classes.set(sig, { signature: sig, count: 1, first: { index: i, case: c, verdict: v } });
        }
      }
      return true;
    }),
    { seed: o.seed, numRuns: o.runs, endOnFailure: true },
  );
  const casesMs = performance.now() - t0;
  const failures = [...classes.values()];
  let shrunk = 0;
  for (const k of failures) {
    if (shrunk >= (o.maxShrunk ?? Infinity)) break;
    shrunk++;
    let last: { case: FuzzCase; verdict: Verdict } | undefined;
    // A time budget for shrinking: past the deadline every candidate "passes", so fast-check stops
    // at the smallest failing case found so far. (Not fast-check's interruptAfterTimeLimit: that
    // abandons a running case, which would keep running in the background of the next one.)
    const deadline = performance.now() + (o.shrinkMs ?? 4000);
    const details = await fc.check(
      fc.asyncProperty(arb, async (c) => {
        if (performance.now() > deadline) return true;
        const v = await evaluate(c);
        if (v.signatures.includes(k.signature)) {
          last = { case: c, verdict: v };
          return false;
        }
        return true;
      }),
      { seed: o.seed, path: String(k.first.index) },
    );
    if (last) k.shrunk = { ...last, shrinks: details.numShrinks };
  }
  return { name, seed: o.seed, categories, tried, clean, failures, casesMs, ms: performance.now() - t0 };
}

/** "N tried: N clean" per category, then each failure class with its (shrunk) reproducer. */
export function formatReport(rep: CampaignReport, opts: { reproducers?: boolean } = {}): string {
  const lines: string[] = [];
  for (const [cat, s] of Object.entries(rep.categories).sort()) lines.push(`${rep.name} / ${cat}: ${s.tried} tried: ${s.clean} clean`);
  lines.push(
    `${rep.name}: ${rep.tried} tried: ${rep.clean} clean, ${rep.failures.length} failure class${rep.failures.length === 1 ? '' : 'es'} ` +
      `(seed ${rep.seed}, cases ${(rep.casesMs / 1000).toFixed(1)} s = ${((rep.tried * 1000) / rep.casesMs).toFixed(0)}/s, with shrinking ${(rep.ms / 1000).toFixed(1)} s)`,
  );
  if (opts.reproducers !== false) {
    for (const k of rep.failures) {
      const best = k.shrunk ?? k.first;
      lines.push('', `FAIL [${k.signature}] ${k.count} case${k.count === 1 ? '' : 's'}${k.shrunk ? `, shrunk ${k.shrunk.shrinks} steps` : ', not shrunk'}`);
      lines.push(`  case: ${best.case.label}`);
      for (const p of best.verdict.problems) lines.push(...p.split('\n').map((l) => `  ${l}`));
      const err = best.verdict.result.stderr.trim();
      if (err) lines.push(`  stderr: ${err.split('\n').slice(0, 4).join('\n          ')}`);
      lines.push('  reproduce (from the repository root, SERVESIM=$PWD, after npm run build):');
      lines.push(...reproducer(best.case).split('\n').map((l) => `    ${l}`));
    }
  }
  return lines.join('\n');
}

