/**
 * The suite as `npm run mutation` runs it (stryker.config.json). Left out:
 * - tests that drive the built CLI (dist/) in child processes: they never see a mutant (they run
 *   the compiled code, not the instrumented sources) and would rebuild dist/ from instrumented code;
 * - long end-to-end runs whose job is integration, not precision (paper configs, trace days,
 *   determinism reruns, chart rendering): every surviving mutant of the engine would run them all,
 *   for no kill that the precise tests (oracle, hand-computed timelines) do not make.
 * Tests outside the mutated folders' import graph are skipped by Stryker itself (vitest.related).
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        'test/sweep.test.ts',
        'test/clockwork-paper.test.ts',
        'test/e2e-traces.test.ts',
        'test/run-determinism.test.ts',
        'test/charts.test.ts',
        'test/chart-data.test.ts',
        'test/synth-azure.test.ts',
        // The fuzz suite and the CLI/output-safety tests drive the built CLI or thousands of inputs.
        'test/fuzz/**',
        'test/output-safety.test.ts',
        'test/shard-auto.test.ts',
        // These run the built CLI (dist/) in child processes for part of their tests.
        'test/plugins.test.ts',
        'test/walkthrough.test.ts',
        'test/live.test.ts',
        'test/fidelity.test.ts',
        'test/machine-readable.test.ts',
        'test/progress.test.ts',
        // Golden hashes fail on any change of output: they guard refactors, and would count as a
        // kill for every mutant without saying which number is wrong.
        'test/golden.test.ts',
      ],
      // Instrumented code runs several times slower: no test should fail on the default 5 s.
      testTimeout: 60_000,
    },
  }),
);
