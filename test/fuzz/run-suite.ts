/** One fuzz suite as a vitest test: fixed seed (FUZZ_SEED), size scaled by FUZZ_SCALE. */
import { afterAll, expect, it } from 'vitest';
import { formatReport, runCampaign, settings } from './campaign.js';
import { checkShared } from './harness.js';
import { suite } from './suites.js';

export function fuzzSuite(name: string): void {
  const s = suite(name);
  const { seed, scale, shrinkMs } = settings();
  const runs = Math.max(1, Math.round(s.runs * scale));
  it(`${name}: ${s.what} (${runs} cases)`, async () => {
    const rep = await runCampaign(name, s.arb({ slow: process.env.FUZZ_SLOW === '1' }), { runs, seed, shrinkMs: Math.min(shrinkMs, 1500), maxShrunk: 12 });
    const text = formatReport(rep);
    process.stdout.write(`${text.split('\n').filter((l) => / tried: /.test(l)).join('\n')}\n`);
    if (rep.failures.length) throw new Error(`\n${text}`);
  }, 900_000);
}

/** Shared inputs (profile, traces, base configs) must be unchanged after all the cases of a file. */
export function checkSharedAfterAll(): void {
  afterAll(() => expect(checkShared()).toEqual([]));
}
