/** One fuzz suite as a vitest test: fixed seed (FUZZ_SEED), size scaled by FUZZ_SCALE. */
import { afterAll, expect } from 'vitest';
import { formatReport, runCampaign, settings } from './campaign.js';
import { checkShared } from './harness.js';
import { suite } from './suites.js';

/** The title of a suite's test, with its case count. */
export function fuzzTitle(name: string): string {
  const s = suite(name);
  return `${name}: ${s.what} (${suiteRuns(name)} cases)`;
}

function suiteRuns(name: string): number {
  return Math.max(1, Math.round(suite(name).runs * settings().scale));
}

/** Run one suite (fixed seed, FUZZ_SCALE); its failure classes, and the report that shows them. */
export async function runFuzzSuite(name: string): Promise<{ failures: string[]; report: string }> {
  const { seed, shrinkMs } = settings();
  const rep = await runCampaign(name, suite(name).arb({ slow: process.env.FUZZ_SLOW === '1' }), { runs: suiteRuns(name), seed, shrinkMs: Math.min(shrinkMs, 1500), maxShrunk: 12 });
  const report = formatReport(rep);
  process.stdout.write(`${report.split('\n').filter((l) => / tried: /.test(l)).join('\n')}\n`);
  return { failures: rep.failures.map((f) => f.signature), report };
}

/** How long one suite's test may take (a long FUZZ_SCALE campaign). */
export const FUZZ_TIMEOUT = 900_000;

/** Shared inputs (profile, traces, base configs) must be unchanged after all the cases of a file. */
export function checkSharedAfterAll(): void {
  afterAll(() => expect(checkShared()).toEqual([]));
}
