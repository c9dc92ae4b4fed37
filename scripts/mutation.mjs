#!/usr/bin/env node
/**
 * `npm run mutation [-- stryker run options]`: StrykerJS mutation testing (docs/testing.md).
 *
 * StrykerJS 10 declares Node >= 22 and its command line refuses to start on older versions; this
 * project targets Node 20, on which the parts it uses here (the vitest runner, the instrumenter)
 * work. So this starts Stryker's own command line with the version check satisfied, and nothing
 * else changed. Options after `--` are passed to `stryker run`, e.g.
 *   npm run mutation -- --mutate 'src/metrics/**\/*.ts' --concurrency 2
 */
const real = process.version;
const major = Number(real.slice(1).split('.')[0]);
if (major < 22) Object.defineProperty(process, 'version', { value: 'v22.0.0', configurable: true });
const { StrykerCli } = await import('@stryker-mutator/core');
Object.defineProperty(process, 'version', { value: real, configurable: true });
new StrykerCli([process.argv[0], 'stryker', 'run', ...process.argv.slice(2)]).run();
