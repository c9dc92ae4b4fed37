/**
 * The fuzz suites and how many cases each gets in one `npm test` (about 5,000 in all). The test
 * files (test/fuzz/*.test.ts) and `npm run fuzz` (test/fuzz/main.ts) both run them from here.
 */
import type fc from 'fast-check';
import { cliCases, configCases, edgeRunCases, onnxCases, outputCases, profileCases, setCases, traceCases, validRunCases } from './arbitraries.js';
import type { FuzzCase } from './harness.js';

export interface Suite {
  name: string;
  /** Cases in one `npm test`. */
  runs: number;
  arb: (opts: { slow: boolean }) => fc.Arbitrary<FuzzCase>;
  /** What the property is, for the test's name. */
  what: string;
}

export const SUITES: Suite[] = [
  { name: 'config', runs: 2000, arb: configCases, what: 'bad experiment configs end in a clean error naming the file and field' },
  { name: 'set', runs: 1200, arb: setCases, what: 'bad --set paths and values end in a clean error naming the path' },
  { name: 'profile', runs: 700, arb: profileCases, what: 'bad hardware profiles end in a clean error naming the file and field' },
  { name: 'cli', runs: 200, arb: cliCases, what: 'bad command lines and unreadable inputs end in a clean error' },
  { name: 'trace', runs: 500, arb: traceCases, what: 'bad 2019/2021/timestamp traces end in a clean error naming the file and line; valid variants run' },
  { name: 'onnx', runs: 300, arb: (o) => onnxCases(o), what: 'bad ONNX files end in a clean error naming the file' },
  { name: 'output', runs: 150, arb: outputCases, what: 'output locations: existing data is never touched, errors are clean' },
  { name: 'edge-run', runs: 150, arb: edgeRunCases, what: 'configs at edge values (0, 1 ms, 1 B/s) and semantic mistakes run cleanly or fail cleanly' },
  { name: 'valid-run', runs: 30, arb: validRunCases, what: 'small valid experiments run with sound, reproducible outputs' },
];

export function suite(name: string): Suite {
  const s = SUITES.find((x) => x.name === name);
  if (!s) throw new Error(`no fuzz suite ${name}`);
  return s;
}
