import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { escapeControlCharacters, previewBody } from '../../src/cli/operator/bodyPreview';
import { formatTable } from '../../src/cli/operator/table';

describe('safe body rendering', () => {
  it('shows binary bodies as base64', () => {
    assert.equal(previewBody({ bodyEncoding: 'base64', body: '/wDDKBA=' }, 60), 'base64:/wDDKBA=');
  });

  it('cuts long bodies and says how much was left out', () => {
    const preview = previewBody({ bodyEncoding: 'text', body: 'x'.repeat(100) }, 60);
    assert.equal(preview, `${'x'.repeat(60)}… [40 more chars cut; use --json for all]`);
  });

  it('escapes terminal control sequences instead of printing them', () => {
    assert.equal(escapeControlCharacters('a\u001b[2Jb\nc\u009bd'), 'a\\x1b[2Jb\\nc\\u009bd');
    assert.equal(previewBody({ bodyEncoding: 'text', body: 'red\u001b[31m' }, 60), 'red\\x1b[31m');
  });

  it('escapes the bidirectional controls that reorder what follows them', () => {
    // U+202E (right-to-left override) would show "invoice-\u202Efdp.exe" as "invoice-exe.pdf".
    assert.equal(escapeControlCharacters('invoice-\u202efdp.exe'), 'invoice-\\u202efdp.exe');
    assert.equal(escapeControlCharacters('a\u2066b\u2069c'), 'a\\u2066b\\u2069c');
    assert.equal(escapeControlCharacters('x\u200fy\u061cz\u200e'), 'x\\u200fy\\u061cz\\u200e');
    assert.equal(escapeControlCharacters('plain café'), 'plain café');
  });
});

describe('table layout', () => {
  it('pads columns to the widest cell and right-aligns numbers', () => {
    const table = formatTable(
      [
        { header: 'NAME', value: (row: { name: string; n: number }) => row.name },
        { header: 'N', value: (row) => row.n, align: 'right' },
      ],
      [
        { name: 'orders', n: 5 },
        { name: 'q', n: 120 },
      ],
    );
    assert.equal(table, 'NAME      N\n------  ---\norders    5\nq       120\n');
  });

  it('cuts cells past their width with an ellipsis', () => {
    const table = formatTable(
      [{ header: 'ID', value: (row: string) => row, maxWidth: 4 }],
      ['abcdefgh'],
    );
    assert.equal(table.split('\n')[2], 'abc…');
  });
});
