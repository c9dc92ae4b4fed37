/**
 * The suite as `npm run mutation` runs it (stryker.config.json): the whole suite except the tests
 * that drive the built CLI (dist/) in child processes, which never see a mutant (they run the
 * compiled code, not the instrumented sources) and would rebuild dist/ from instrumented code.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    // Instrumented code runs several times slower: no test should fail on the default 5 s.
    test: { exclude: ['test/sweep.test.ts'], testTimeout: 60_000 },
  }),
);
