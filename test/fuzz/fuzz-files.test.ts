/**
 * Property: every generated bad trace (Azure 2019, Azure 2021, timestamps) or ONNX file ends in a
 * clean error naming the file (and the line), valid variants (BOM, CRLF, quotes) are accepted, and
 * no output location ever loses pre-existing data. See test/fuzz/README.md.
 */
import { describe, expect, it } from 'vitest';
import { checkSharedAfterAll, FUZZ_TIMEOUT, fuzzTitle, runFuzzSuite } from './run-suite.js';

describe('fuzz: traces, ONNX files, output locations', () => {
  checkSharedAfterAll();
  // Every generated case clean: the failure classes (each with a shrunk reproducer in the message) are none.
  for (const name of ['trace', 'onnx', 'output']) {
    it(fuzzTitle(name), async () => {
      const { failures, report } = await runFuzzSuite(name);
      expect(failures, report).toEqual([]);
    }, FUZZ_TIMEOUT);
  }
});
