/**
 * Property: every generated bad config, --set override, hardware profile or command line ends in
 * one clean `servesim: <file>: <field>: ...` error (no stack, no internal error, nothing written).
 * Seeded (FUZZ_SEED); FUZZ_SCALE=10 runs ten times as many cases. See test/fuzz/README.md.
 */
import { describe } from 'vitest';
import { checkSharedAfterAll, fuzzSuite } from './run-suite.js';

describe('fuzz: configs, --set, profiles, command lines', () => {
  checkSharedAfterAll();
  fuzzSuite('config');
  fuzzSuite('set');
  fuzzSuite('profile');
  fuzzSuite('cli');
});
