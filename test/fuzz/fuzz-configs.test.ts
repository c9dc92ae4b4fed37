/**
 * Property: every generated bad config, --set override, hardware profile or command line ends in
 * one clean `servesim: <file>: <field>: ...` error (no stack, no internal error, nothing written).
 * Seeded (FUZZ_SEED); FUZZ_SCALE=10 runs ten times as many cases. See test/fuzz/README.md.
 */
import { describe, expect, it } from 'vitest';
import { checkSharedAfterAll, FUZZ_TIMEOUT, fuzzTitle, runFuzzSuite } from './run-suite.js';

describe('fuzz: configs, --set, profiles, command lines', () => {
  checkSharedAfterAll();
  // Every generated case clean: the failure classes (each with a shrunk reproducer in the message) are none.
  for (const name of ['config', 'set', 'profile', 'cli']) {
    it(fuzzTitle(name), async () => {
      const { failures, report } = await runFuzzSuite(name);
      expect(failures, report).toEqual([]);
    }, FUZZ_TIMEOUT);
  }
});
