/**
 * Property: every generated bad trace (Azure 2019, Azure 2021, timestamps) or ONNX file ends in a
 * clean error naming the file (and the line), valid variants (BOM, CRLF, quotes) are accepted, and
 * no output location ever loses pre-existing data. See test/fuzz/README.md.
 */
import { describe } from 'vitest';
import { checkSharedAfterAll, fuzzSuite } from './run-suite.js';

describe('fuzz: traces, ONNX files, output locations', () => {
  checkSharedAfterAll();
  fuzzSuite('trace');
  fuzzSuite('onnx');
  fuzzSuite('output');
});
