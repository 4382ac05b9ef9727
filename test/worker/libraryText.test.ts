import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { couldBeJson, textForLibrary } from '../../src/worker/libraryText';

// What the @azure/functions library does with `{ string }` typed data (fromRpcTypedData's
// tryJsonParse): JSON.parse, or the text itself when that throws.
function libraryReadsString(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const SAMPLES = [
  '',
  ' ',
  '0',
  '0123',
  '-',
  '-1',
  '1.5',
  '1.',
  '.5',
  '1e5',
  '1E+5',
  '1e',
  '12 ',
  ' 12',
  '12a',
  'true',
  'true ',
  'truex',
  'false',
  'fals',
  'null',
  'nul',
  'None',
  '{}',
  '{"a":1}',
  '{bad',
  '[1]',
  '[',
  '"q"',
  '"open',
  'hello world',
  'c2f0e5b6-1f5e-4a4e-9a8e-2d8c7a9f0b11',
  '6f1d2c3b00004000',
  'f00',
  'n1',
  '\t7',
  '\u00a07',
  '٣',
  'Infinity',
  'NaN',
  '0x10',
  '+1',
];

describe('textForLibrary', () => {
  it('gives the library the value it would get from the plain text, for every kind of text', () => {
    for (const sample of SAMPLES) {
      const typed = textForLibrary(sample);
      const converted =
        typeof typed.string === 'string'
          ? libraryReadsString(typed.string)
          : JSON.parse(typed.json ?? '');

      assert.deepEqual(converted, libraryReadsString(sample), `text ${JSON.stringify(sample)}`);
    }
  });

  it('passes as a JSON literal only text that JSON.parse rejects', () => {
    for (const sample of SAMPLES) {
      let parses = true;
      try {
        JSON.parse(sample);
      } catch {
        parses = false;
      }
      if (parses) assert.equal(couldBeJson(sample), true, `text ${JSON.stringify(sample)}`);
    }
    assert.equal(couldBeJson('c2f0e5b6-1f5e-4a4e-9a8e-2d8c7a9f0b11'), false);
    assert.equal(couldBeJson('0123'), false);
  });
});
