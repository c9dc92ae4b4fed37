import { describe, expect, it } from 'vitest';
import { csvCell, csvLine, csvText, parseCsv } from '../src/util/csv.js';

describe('CSV helper', () => {
  it('writes cells as servesim always has: numbers as String(x), booleans as words, empty for null', () => {
    expect(csvLine(['a', '', 1.5, 0, -0, 1e21, NaN, Infinity, true, false, null, undefined, { x: 1 }])).toBe(
      'a,,1.5,0,0,1e+21,NaN,Infinity,true,false,,,"{""x"":1}"',
    );
  });

  it('quotes exactly the cells holding a comma, a quote, CR or LF', () => {
    expect(['plain', ' sp ', 'a,b', 'q"x', 'l\nm', 'c\rr'].map(csvCell)).toEqual(['plain', ' sp ', '"a,b"', '"q""x"', '"l\nm"', '"c\rr"']);
  });

  it('ends every record with LF and reads back what it wrote', () => {
    const rows = [['name', 'v'], ['a,b', '1'], ['q"x', ''], ['l\nm', '2']];
    const text = csvText(rows);
    expect(text).toBe('name,v\n"a,b",1\n"q""x",\n"l\nm",2\n');
    expect(parseCsv(text)).toEqual(rows);
    expect(csvText([])).toBe('');
  });

  it('reads CRLF files, skips blank lines and allows short rows', () => {
    expect(parseCsv('a,b\r\n1,2\r\n\r\n3\r\n')).toEqual([['a', 'b'], ['1', '2'], ['3']]);
  });
});
